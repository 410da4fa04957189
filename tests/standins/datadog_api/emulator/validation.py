"""Request body validation with the schema models of Datadog's ``datadog-api-client`` package.

``validate_and_convert_types`` rejects wrong types and missing required fields, but turns unknown
enum values and bodies that match no ``oneOf`` alternative into "unparsed" objects and keeps
unknown keys without complaint. ``strict_walk`` walks the converted result for those cases and for
read-only fields (``id``, ``created``, ...), which Datadog rejects in a request body. Inside a
``oneOf`` object it walks the alternative that matched, so an unknown key in a widget definition
is reported against that widget type's keys.

Use from a resource handler::

    from ..validation import validate_body
    validate_body(request.json_body(), "datadog_api_client.v1.model.monitor.Monitor")

which raises ``ApiError(400, [...])`` listing every problem.
"""

import importlib

from datadog_api_client.configuration import Configuration
from datadog_api_client.model_utils import ModelComposed, ModelNormal, ModelSimple, validate_and_convert_types

from .errors import ApiError

_CONFIGURATION = Configuration()


def load_model(dotted_name):
    """Return the model class for ``package.module.ClassName``."""
    module_name, class_name = dotted_name.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), class_name)


def validate_body(body, model, allow_read_only=False):
    """Validate ``body`` against ``model`` (a class or its dotted name); return the converted model.

    Raises ``ApiError(400, errors)`` on any type error, missing required field, unknown key,
    unknown enum value, unmatched ``oneOf`` or (unless ``allow_read_only``) read-only field.
    """
    if isinstance(model, str):
        model = load_model(model)
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON: the body must be an object, got %s" % type(body).__name__)
    try:
        converted = validate_and_convert_types(body, (model,), ["body"], True, True, configuration=_CONFIGURATION)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ApiError(400, "Invalid request body: %s" % exc)
    problems = strict_walk(converted, "body", allow_read_only)
    if problems:
        raise ApiError(400, problems)
    return converted


def strict_walk(value, path, allow_read_only=False):
    """Return the problems in a converted value: unparsed objects, unknown keys and read-only fields."""
    problems = []
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problems.extend(strict_walk(item, "%s[%d]" % (path, index), allow_read_only))
        return problems
    if isinstance(value, dict):
        for key, item in value.items():
            problems.extend(strict_walk(item, "%s.%s" % (path, key), allow_read_only))
        return problems
    unparsed = getattr(value, "_unparsed", False)
    if unparsed and isinstance(value, ModelSimple):
        problems.append("Invalid value for '%s': %r is not one of the allowed values" % (path, value.value))
        return problems
    if isinstance(value, (ModelNormal, ModelComposed)):
        known = _known_attributes(type(value))
        read_only = getattr(type(value), "read_only_vars", set()) or set()
        for key, item in value._data_store.items():
            if key not in known:
                problems.append("Additional properties are not allowed ('%s' was unexpected at '%s')" % (key, path))
                continue
            if key in read_only and not allow_read_only:
                problems.append("'%s.%s' is read-only and cannot be set" % (path, key))
                continue
            problems.extend(strict_walk(item, "%s.%s" % (path, key), allow_read_only))
    if isinstance(value, ModelComposed):
        # A oneOf object (a widget definition, a downtime schedule) keeps its keys in the alternative
        # that matched, not in its own store; that alternative is checked against its own keys only.
        for instance in getattr(value, "_composed_instances", None) or []:
            if instance is not value:
                problems.extend(strict_walk(instance, path, allow_read_only))
    # A nested invalid value marks every enclosing object unparsed too. The object itself is reported
    # only when no nested cause was found, which means it matches no oneOf alternative.
    if unparsed and not problems:
        problems.append("Invalid value for '%s': it matches none of the allowed object types" % path)
    return problems


def _known_attributes(model_class):
    known = set(getattr(model_class, "attribute_map", {}) or {})
    if issubclass(model_class, ModelComposed):
        for alternative in (model_class._composed_schemas or {}).get("oneOf", []):
            known.update(getattr(alternative, "attribute_map", {}) or {})
    return known
