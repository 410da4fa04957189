# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read -> normalize -> compare -> write, shared by the Datadog object modules.

A module describes its resource once as a ``ResourceSpec`` (data, no code paths of its own):

* ``managed_fields``: top-level keys that the module owns; everything else (``id``, ``created``,
  ``creator``, ``overall_state``, ...) is server-set and never compared.
* ``server_fields``: dotted paths removed from both sides although they sit inside managed fields,
  for example ``options.silenced`` or ``widgets[].id`` (``[]`` walks every list item).
* ``defaults``: dotted path -> Datadog's default, applied to both sides where the key is absent or
  None, so that "not set" and "set to the default" compare equal.
* ``aliases``: dotted path -> {value: canonical value}, for values the API treats as the same
  (``metric alert`` / ``query alert``).
* ``set_fields``: dotted paths of lists whose order and duplicates do not matter (tags).
* ``drop_empty``: remove None, ``{}`` and ``[]`` values everywhere (the API's "not set" forms).

Numbers compare by value: an integral float becomes an int, so ``800 == 800.0``. Strings are never
changed, so a message reaches the comparison byte for byte.

``reconcile()`` runs the flow: it compares the normalized current object with the normalized
desired one, calls the create / update / delete callables only on a real difference and never in
check mode, and returns ``changed``, the ``before``/``after`` pair for ``--diff`` and the result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy


class ResourceSpec:
    """How to normalize one kind of Datadog object; see the module docstring for each field."""

    def __init__(self, name, managed_fields, server_fields=(), defaults=None, aliases=None, set_fields=(),
                 drop_empty=True):
        self.name = name
        self.managed_fields = tuple(managed_fields)
        self.server_fields = tuple(server_fields)
        self.defaults = dict(defaults or {})
        self.aliases = dict(aliases or {})
        self.set_fields = tuple(set_fields)
        self.drop_empty = drop_empty


def _split(path):
    return path.split(".")


def _walk(obj, parts, visit):
    """Call ``visit(container, key)`` for every place that ``parts`` (a split dotted path) addresses."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    list_step = head.endswith("[]")
    key = head[:-2] if list_step else head
    if not isinstance(obj, dict) or key not in obj:
        if not rest and not list_step and isinstance(obj, dict):
            visit(obj, key)
        return
    if list_step:
        items = obj[key] if isinstance(obj[key], list) else []
        for item in items:
            _walk(item, rest, visit)
        return
    if rest:
        _walk(obj[key], rest, visit)
    else:
        visit(obj, key)


def _ensure_parents(obj, parts):
    """Return the dict that should hold the last of ``parts``, creating dicts on the way; None if blocked."""
    for part in parts[:-1]:
        if part.endswith("[]"):
            return None
        child = obj.get(part)
        if child is None:
            child = obj[part] = {}
        if not isinstance(child, dict):
            return None
        obj = child
    return obj


def normalize_numbers(value):
    """Turn integral floats into ints recursively (bools untouched)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return dict((k, normalize_numbers(v)) for k, v in value.items())
    if isinstance(value, list):
        return [normalize_numbers(v) for v in value]
    return value


def drop_empty_values(value):
    """Remove None, empty dicts and empty lists recursively (after their contents were cleaned)."""
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            item = drop_empty_values(item)
            if item is None or item == {} or item == []:
                continue
            cleaned[key] = item
        return cleaned
    if isinstance(value, list):
        return [drop_empty_values(item) for item in value]
    return value


def _canonical_sort_key(item):
    return (type(item).__name__, repr(item))


def normalize(obj, spec):
    """Return the comparable form of ``obj`` (an API object or a desired object) under ``spec``."""
    if obj is None:
        return None
    result = dict((key, copy.deepcopy(obj[key])) for key in spec.managed_fields if key in obj)

    for path in spec.server_fields:
        _walk(result, _split(path), lambda container, key: container.pop(key, None))

    for path, mapping in spec.aliases.items():
        def apply_alias(container, key, mapping=mapping):
            value = container.get(key)
            if isinstance(value, str) and value in mapping:
                container[key] = mapping[value]
        _walk(result, _split(path), apply_alias)

    for path, default in spec.defaults.items():
        parts = _split(path)
        parent = _ensure_parents(result, parts)
        if parent is not None and parent.get(parts[-1]) is None:
            parent[parts[-1]] = copy.deepcopy(default)

    for path in spec.set_fields:
        def make_set(container, key):
            value = container.get(key)
            if isinstance(value, list):
                unique = []
                for item in value:
                    if item not in unique:
                        unique.append(item)
                container[key] = sorted(unique, key=_canonical_sort_key)
        _walk(result, _split(path), make_set)

    result = normalize_numbers(result)
    if spec.drop_empty:
        result = drop_empty_values(result)
    return result


def changed_paths(before, after, prefix=""):
    """Return the sorted dotted paths at which two normalized objects differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths = []
        for key in sorted(set(before) | set(after)):
            path = "%s.%s" % (prefix, key) if prefix else key
            if key not in before or key not in after:
                paths.append(path)
            else:
                paths.extend(changed_paths(before[key], after[key], path))
        return paths
    return [] if before == after else [prefix or "(root)"]


def reconcile(module, spec, state, current, desired, create=None, update=None, delete=None):
    """Bring one object to ``state`` with at most one write, and return the result for ``exit_json``.

    ``current`` is the object as the API returned it, or None when absent; ``desired`` is the object
    the module would send (only needed for ``state=present``). ``create()``, ``update()`` and
    ``delete()`` perform the write and return the API's response. They are called only when the
    normalized objects differ and never in check mode. The returned dict has ``changed``,
    ``before``/``after`` (normalized, ``{}`` for absent), ``changed_paths``, ``object`` (the raw
    API object after the run, or the prediction in check mode, or None) and ``diff`` when the
    module runs with ``--diff``.
    """
    before = normalize(current, spec) if current is not None else {}
    object_after = current

    if state == "absent":
        after = {}
        changed = current is not None
        if changed and not module.check_mode:
            delete()
        object_after = None
    else:
        wanted = normalize(desired, spec)
        if current is None:
            changed = True
            after = wanted
            object_after = desired
            if not module.check_mode:
                object_after = create()
                after = normalize(object_after, spec)
        else:
            changed = before != wanted
            after = wanted if changed else before
            if changed:
                object_after = merge_prediction(current, desired)
                if not module.check_mode:
                    object_after = update()
                    after = normalize(object_after, spec)
        if not module.check_mode and changed and after != wanted:
            module.warn(
                "Datadog stored the %s differently from the request at: %s. The next run will report a "
                "change again; set these fields to the values Datadog keeps."
                % (spec.name, ", ".join(changed_paths(after, wanted)))
            )

    result = dict(changed=changed, before=before, after=after, changed_paths=changed_paths(before, after),
                  object=object_after)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    return result


def merge_prediction(current, desired):
    """Return ``current`` with the top-level keys of ``desired`` replacing its own: the check-mode guess."""
    predicted = copy.deepcopy(current) if current else {}
    predicted.update(copy.deepcopy(desired or {}))
    return predicted
