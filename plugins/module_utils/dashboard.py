# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate, normalize and compare Datadog v1 dashboards, and convert legacy Timeboards.

Pure functions on plain dicts: no API calls, so the module can check everything before its first
request and tests can drive them with tables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.ddlab.observability.plugins.module_utils.datadog_reconcile import ResourceSpec, normalize

# Fields the module manages. Everything else on a dashboard, including what Datadog sets on its own
# (id, url, author_handle, author_name, created_at, modified_at, is_read_only, restricted_roles), is
# never compared and never sent back.
MANAGED_FIELDS = ("title", "description", "layout_type", "reflow_type", "widgets", "template_variables", "tags",
                  "notify_list")

# Fields set in the Datadog UI that the module does not manage. An update (PUT) replaces the whole
# dashboard, so they are copied from the current dashboard into the request to keep them.
PRESERVED_FIELDS = ("restricted_roles", "template_variable_presets", "default_timeframe", "tabs")

# Fields whose null, empty and missing forms all mean "none" to Datadog.
_EMPTY_LIST_FIELDS = ("template_variables", "tags", "notify_list")

WIDGET_KEYS = frozenset(("definition", "layout", "id"))
LAYOUT_KEYS = ("x", "y", "width", "height")
# Smallest value of each layout key: a position starts at 0, a size at 1 grid unit.
_LAYOUT_MINIMUM = {"x": 0, "y": 0, "width": 1, "height": 1}

# Widget definition types of the v1 dashboard API, as the WidgetDefinition models of
# datadog-api-client 2.x list them (a unit test compares the two, since that client is a test-only
# dependency). The API schema allows no other type, so the module rejects others before any request.
WIDGET_TYPES = frozenset((
    "alert_graph", "alert_value", "bar_chart", "change", "check_status", "cohort", "distribution", "embedded_app",
    "event_stream", "event_timeline", "free_text", "funnel", "geomap", "group", "heatgrid", "heatmap", "hostmap",
    "iframe", "image", "list_stream", "log_stream", "manage_status", "note", "point_plot", "powerpack",
    "query_table", "query_value", "retention_curve", "run_workflow", "sankey", "scatterplot", "servicemap", "slo",
    "slo_list", "split_group", "sunburst", "timeseries", "toplist", "topology_map", "trace_service", "treemap",
    "wildcard",
))

# Legacy Timeboard graph types ("viz") and the widget type each became.
LEGACY_VIZ = {
    "timeseries": "timeseries",
    "query_value": "query_value",
    "toplist": "toplist",
    "heatmap": "heatmap",
    "distribution": "distribution",
    "change": "change",
}
# Legacy request keys -> widget request keys.
_LEGACY_REQUEST_KEYS = {
    "q": "q",
    "type": "display_type",
    "style": "style",
    "aggregator": "aggregator",
    "conditional_formats": "conditional_formats",
}
_LEGACY_STYLE_KEYS = {"palette": "palette", "type": "line_type", "width": "line_width"}
_LEGACY_DEFINITION_KEYS = frozenset(("viz", "requests", "events", "autoscale", "precision", "custom_unit",
                                     "text_align"))
_LEGACY_TIMEBOARD_KEYS = frozenset(("title", "description", "graphs", "template_variables", "tags", "notify_list"))


# Optional identity line kept at the end of the description, so that a dashboard renamed in the UI is
# found again and renamed back.
IDENTITY_PREFIX = "ansible-dashboard-id: "
_IDENTITY_RE = re.compile(r"(?:\A|\n)" + re.escape(IDENTITY_PREFIX) + r"(?P<key>[^\n]+?)\s*\Z")


def description_with_identity(description, identity):
    """Return the description to store: the user's text, then the identity line."""
    marker = IDENTITY_PREFIX + identity
    if not description:
        return marker
    return "%s\n\n%s" % (description.rstrip("\n"), marker)


def identity_of(description):
    """Return the identity key kept in a stored description, or None."""
    match = _IDENTITY_RE.search(description or "")
    return match.group("key") if match else None


class DashboardError(ValueError):
    """Invalid dashboard input; ``field`` is the option path the message is about."""

    def __init__(self, field, message):
        super(DashboardError, self).__init__("%s: %s" % (field, message))
        self.field = field


def convert_legacy_graph(graph, field):
    """Return the ordered-layout widget for one legacy Timeboard graph."""
    if not isinstance(graph, dict):
        raise DashboardError(field, "must be a mapping with title and definition")
    unknown = sorted(set(graph) - set(("title", "definition")))
    if unknown:
        raise DashboardError(field, "unknown key(s) %s; a legacy graph has only title and definition"
                             % ", ".join(unknown))
    definition = graph.get("definition")
    if not isinstance(definition, dict):
        raise DashboardError("%s.definition" % field, "is required and must be a mapping with viz and requests")
    unknown = sorted(set(definition) - _LEGACY_DEFINITION_KEYS)
    if unknown:
        raise DashboardError("%s.definition" % field, "unknown key(s) %s; convert this graph to a widget by hand "
                                                      "and pass it in widgets" % ", ".join(unknown))
    viz = definition.get("viz")
    if viz not in LEGACY_VIZ:
        raise DashboardError("%s.definition.viz" % field, "%r cannot be converted; supported: %s, or pass a native "
                                                          "widget in widgets" % (viz, ", ".join(sorted(LEGACY_VIZ))))
    requests = definition.get("requests")
    if not isinstance(requests, list) or not requests:
        raise DashboardError("%s.definition.requests" % field, "must be a non-empty list of requests with q")

    widget_definition = {"type": LEGACY_VIZ[viz]}
    if graph.get("title") is not None:
        widget_definition["title"] = graph["title"]
    converted = []
    for index, request in enumerate(requests):
        converted.append(_convert_legacy_request(request, "%s.definition.requests[%d]" % (field, index)))
    widget_definition["requests"] = converted
    if definition.get("events"):
        widget_definition["events"] = [{"q": event["q"]} if isinstance(event, dict) else {"q": event}
                                       for event in definition["events"]]
    for key in ("autoscale", "precision", "custom_unit", "text_align"):
        if definition.get(key) is not None:
            widget_definition[key] = definition[key]
    return {"definition": widget_definition}


def _convert_legacy_request(request, field):
    if not isinstance(request, dict) or not request.get("q"):
        raise DashboardError("%s.q" % field, "is required: the metric query of this graph request")
    unknown = sorted(set(request) - set(_LEGACY_REQUEST_KEYS))
    if unknown:
        supported = ", ".join(sorted(_LEGACY_REQUEST_KEYS))
        raise DashboardError(field, "unknown key(s) %s; supported: %s" % (", ".join(unknown), supported))
    converted = {}
    for key, value in request.items():
        if value is None:
            continue
        if key == "style":
            if not isinstance(value, dict):
                raise DashboardError("%s.style" % field, "must be a mapping with palette, type or width")
            unknown = sorted(set(value) - set(_LEGACY_STYLE_KEYS))
            if unknown:
                raise DashboardError("%s.style" % field, "unknown key(s) %s; supported: palette, type, width"
                                     % ", ".join(unknown))
            value = dict((_LEGACY_STYLE_KEYS[name], item) for name, item in value.items() if item is not None)
        converted[_LEGACY_REQUEST_KEYS[key]] = value
    return converted


def convert_legacy_template_variables(variables, field="template_variables"):
    """Return native template variables: a legacy ``default`` string becomes a one-item ``defaults`` list."""
    converted = []
    for index, variable in enumerate(variables or []):
        item = dict((key, value) for key, value in variable.items() if value is not None)
        if "default" in item:
            if "defaults" in item:
                raise DashboardError("%s[%d]" % (field, index), "give default or defaults, not both")
            item["defaults"] = [item.pop("default")]
        converted.append(item)
    return converted


def convert_legacy_timeboard(timeboard):
    """Return the native ordered dashboard for a legacy Timeboard (``graphs`` instead of ``widgets``)."""
    unknown = sorted(set(timeboard) - _LEGACY_TIMEBOARD_KEYS)
    if unknown:
        raise DashboardError("graphs", "a legacy Timeboard cannot be combined with %s; give either graphs (legacy) "
                                       "or widgets with layout_type (native)" % ", ".join(unknown))
    graphs = timeboard.get("graphs")
    if not isinstance(graphs, list) or not graphs:
        raise DashboardError("graphs", "must be a non-empty list of graphs with title and definition")
    dashboard = {
        "title": timeboard.get("title"),
        "layout_type": "ordered",
        "widgets": [convert_legacy_graph(graph, "graphs[%d]" % index) for index, graph in enumerate(graphs)],
    }
    for key in ("description", "template_variables", "tags", "notify_list"):
        if timeboard.get(key) is not None:
            dashboard[key] = timeboard[key]
    return dashboard


def build_desired(params):
    """Return the dashboard the user asked for: only the fields they set, in native form.

    ``params`` contains title, description, layout_type, reflow_type, widgets, graphs,
    template_variables, tags and notify_list; None means "not set".
    """
    params = dict((key, value) for key, value in params.items() if value is not None)
    identity = params.pop("identity", None)
    if identity is not None:
        if not identity.strip() or "\n" in identity or identity != identity.strip():
            raise DashboardError("identity", "%r must be one non-empty line without leading or trailing spaces"
                                 % (identity,))
        params["description"] = description_with_identity(params.get("description"), identity)
    if "graphs" in params:
        legacy = dict((key, params[key]) for key in params if key != "layout_type" or params[key] != "ordered")
        dashboard = convert_legacy_timeboard(legacy)
    else:
        if "widgets" not in params:
            raise DashboardError("widgets", "is required with state=present; give widgets (or legacy graphs)")
        dashboard = dict((key, params[key]) for key in MANAGED_FIELDS if key in params)
        dashboard.setdefault("layout_type", "ordered")
    if "template_variables" in dashboard:
        dashboard["template_variables"] = convert_legacy_template_variables(dashboard["template_variables"])
    validate_dashboard(dashboard)
    return dashboard


def validate_dashboard(dashboard):
    """Raise DashboardError for anything Datadog would reject that can be checked without a call."""
    title = dashboard.get("title")
    if not isinstance(title, str) or not title.strip():
        raise DashboardError("title", "is required and must not be empty")

    layout_type = dashboard.get("layout_type")
    if layout_type not in ("ordered", "free"):
        raise DashboardError("layout_type", "%r is not a layout; use ordered or free" % (layout_type,))
    reflow_type = dashboard.get("reflow_type")
    if reflow_type is not None:
        if reflow_type not in ("auto", "fixed"):
            raise DashboardError("reflow_type", "%r is not a reflow type; use auto or fixed" % (reflow_type,))
        if layout_type != "ordered":
            raise DashboardError("reflow_type", "applies only to layout_type=ordered; remove it for a free layout")

    widgets = dashboard.get("widgets")
    if not isinstance(widgets, list):
        raise DashboardError("widgets", "must be a list of widgets, each with a definition")
    if layout_type == "free" or reflow_type == "fixed":
        layout_rule = "required"
    elif reflow_type == "auto":
        layout_rule = "forbidden"
    else:
        layout_rule = "consistent"
    _validate_widgets(widgets, "widgets", layout_rule, layout_type, reflow_type)

    for key in ("tags", "notify_list"):
        value = dashboard.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(item, str) for item in value)):
            raise DashboardError(key, "must be a list of strings")
    for tag in dashboard.get("tags") or []:
        # Datadog accepts only team ownership tags on dashboards.
        if not tag.startswith("team:") or tag == "team:":
            raise DashboardError("tags", "%r is not a team tag; dashboard tags must look like team:<name>" % (tag,))
    _validate_template_variables(dashboard.get("template_variables") or [])


def _validate_widgets(widgets, field, layout_rule, layout_type, reflow_type):
    has_layout = []
    for index, widget in enumerate(widgets):
        path = "%s[%d]" % (field, index)
        if not isinstance(widget, dict):
            raise DashboardError(path, "must be a mapping with a definition")
        unknown = sorted(set(widget) - WIDGET_KEYS)
        if unknown:
            raise DashboardError(path, "unknown key(s) %s; a widget has definition and, depending on the layout, "
                                       "layout" % ", ".join(unknown))
        definition = widget.get("definition")
        if not isinstance(definition, dict) or not isinstance(definition.get("type"), str):
            raise DashboardError("%s.definition" % path, "is required and must be a mapping with a type, for "
                                                         "example {type: timeseries, requests: [...]}")
        if definition["type"] not in WIDGET_TYPES:
            raise DashboardError("%s.definition.type" % path, "%r is not a widget type; use one of %s"
                                 % (definition["type"], ", ".join(sorted(WIDGET_TYPES))))
        layout = widget.get("layout")
        if layout is not None:
            _validate_layout(layout, "%s.layout" % path)
        if layout_rule == "required" and layout is None:
            rule = "layout_type=free" if layout_type == "free" else "reflow_type=fixed"
            raise DashboardError("%s.layout" % path, "is required with %s; give x, y, width and height, or use "
                                                     "layout_type=ordered with reflow_type=auto" % rule)
        if layout_rule == "forbidden" and layout is not None:
            raise DashboardError("%s.layout" % path, "is not allowed with reflow_type=auto; remove it, or set "
                                                     "reflow_type=fixed to place widgets yourself")
        has_layout.append(layout is not None)
        if definition["type"] == "group":
            _validate_widgets(definition.get("widgets") or [], "%s.definition.widgets" % path, layout_rule,
                              layout_type, reflow_type)
    if layout_rule == "consistent" and any(has_layout) and not all(has_layout):
        missing = has_layout.index(False)
        raise DashboardError("%s[%d].layout" % (field, missing), "is missing while other widgets have one; give "
                                                                 "every widget a layout (and reflow_type=fixed) "
                                                                 "or none (reflow_type=auto)")


def _validate_layout(layout, field):
    missing = [key for key in LAYOUT_KEYS if not isinstance(layout, dict) or key not in layout]
    if missing:
        raise DashboardError(field, "needs %s" % ", ".join(missing))
    unknown = sorted(set(layout) - set(LAYOUT_KEYS) - set(["is_column_break"]))
    if unknown:
        raise DashboardError(field, "unknown key(s) %s; a layout has x, y, width and height" % ", ".join(unknown))
    for key in LAYOUT_KEYS:
        value = layout[key]
        minimum = _LAYOUT_MINIMUM[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise DashboardError("%s.%s" % (field, key), "%r is not valid; use a whole number of grid units, %d or "
                                                         "more" % (value, minimum))


def _validate_template_variables(variables):
    names = set()
    for index, variable in enumerate(variables):
        path = "template_variables[%d]" % index
        if not isinstance(variable, dict) or not variable.get("name"):
            raise DashboardError("%s.name" % path, "is required: the variable's name, used as $name in queries")
        if variable["name"] in names:
            raise DashboardError("%s.name" % path, "%r is used twice; give each variable its own name"
                                 % (variable["name"],))
        names.add(variable["name"])
        defaults = variable.get("defaults")
        if defaults is not None and (not isinstance(defaults, list) or not all(isinstance(d, str) for d in defaults)):
            raise DashboardError("%s.defaults" % path, "must be a list of strings, for example ['*']")


def _strip_nulls(value):
    """Return ``value`` without None entries in mappings, recursively (Datadog echoes unset fields as null)."""
    if isinstance(value, dict):
        return dict((key, _strip_nulls(item)) for key, item in value.items() if item is not None)
    if isinstance(value, list):
        return [_strip_nulls(item) for item in value]
    return value


def _normalize_widgets(widgets):
    normalized = []
    for widget in widgets or []:
        widget = _strip_nulls(widget)
        widget.pop("id", None)
        definition = widget.get("definition")
        if isinstance(definition, dict) and definition.get("type") == "group" and "widgets" in definition:
            definition["widgets"] = _normalize_widgets(definition["widgets"])
        normalized.append(widget)
    return normalized


def normalize_dashboard(dashboard):
    """Return the managed fields of a dashboard in one canonical form.

    Server-set fields and widget ids are dropped, null and empty lists are the same, a missing
    description is None, and a template variable's deprecated ``default`` becomes ``defaults``.
    """
    if dashboard is None:
        return None
    normalized = {}
    for key in MANAGED_FIELDS:
        value = copy.deepcopy(dashboard.get(key))
        if key in _EMPTY_LIST_FIELDS:
            value = value or []
        if key == "description" and value == "":
            value = None
        if key == "widgets":
            value = _normalize_widgets(value)
        if key == "template_variables":
            value = [_strip_nulls(item) for item in convert_legacy_template_variables(value)]
            for item in value:
                if item.get("defaults") == []:
                    del item["defaults"]
        if key == "tags":
            value = sorted(value)
        normalized[key] = value
    return normalized


def resource_spec(desired):
    """Return the reconcile spec for a dashboard: only the fields the user set are compared."""
    managed = [key for key in MANAGED_FIELDS if key in desired and not (key == "reflow_type" and desired[key] is None)]
    return ResourceSpec(
        "dashboard",
        managed_fields=managed,
        server_fields=("widgets[].id", "widgets[].definition.widgets[].id"),
        set_fields=("tags",),
    )


def comparable(dashboard):
    """Return ``normalize_dashboard(dashboard)`` plus the ``id`` and ``url`` the module returns."""
    if dashboard is None:
        return None
    result = normalize_dashboard(dashboard)
    for key in ("id", "url"):
        if dashboard.get(key) is not None:
            result[key] = dashboard[key]
    return result


def differences(desired, current):
    """Return the sorted names of the fields where the dashboards differ, as the module compares them.

    Only fields present in ``desired`` (what the user set) count; ``current`` may be None.
    """
    if current is None:
        return sorted(desired)
    spec = resource_spec(desired)
    expected = normalize(comparable(desired), spec)
    have = normalize(comparable(current), spec)
    return sorted(key for key in set(expected) | set(have) if expected.get(key) != have.get(key))


def request_body(desired, current):
    """Return the body for a create (``current`` None) or a full update (PUT replaces the dashboard).

    Fields the user did not set keep their current value, so an update never clears them.
    """
    body = {}
    if current is not None:
        body.update((key, copy.deepcopy(current[key])) for key in PRESERVED_FIELDS if current.get(key))
        have = normalize_dashboard(current)
        body.update((key, value) for key, value in have.items() if value not in (None, []) or key == "widgets")
    requested = normalize_dashboard(desired)
    body.update((key, requested[key]) for key in desired)
    return dict((key, value) for key, value in body.items() if value is not None)
