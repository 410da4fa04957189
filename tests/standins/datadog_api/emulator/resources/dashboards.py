"""v1 dashboards: create, get, update, delete, list, with the status codes, bodies and defaults of Datadog.

Datadog behaviour reproduced here (seen in recorded responses of the real API):
* The id looks like ``abc-def-ghi``; ``url`` is ``/dashboard/<id>/<slug of the title>``.
* Unset ``description``, ``template_variables`` and ``notify_list`` come back as null,
  ``restricted_roles`` as ``[]``, ``is_read_only`` as false; ``reflow_type`` and ``tags`` only
  appear when they were set.
* Every widget gets a numeric ``id``; an update gives new ids to widgets sent without one.
* The list holds summaries (no widgets) under ``dashboards``; it pages with ``start`` and ``count``.
* Deleting an unknown id answers 404 ``Dashboard with ID <id> not found``.
"""

import copy
import random
import re

from .. import ids
from ..errors import ApiError
from ..validation import validate_body

KIND = "dashboard"
MODEL = "datadog_api_client.v1.model.dashboard.Dashboard"
AUTHOR_HANDLE = "emulator@example.com"
SUMMARY_FIELDS = ("id", "title", "description", "layout_type", "url", "is_read_only", "created_at", "modified_at",
                  "author_handle", "deleted_at")
# Datadog cuts the title part of the url at 80 characters.
SLUG_MAX = 80


def _slug(title):
    words = re.sub(r"[^a-z0-9 -]", "", title.lower()).split()
    return "-".join(words)[:SLUG_MAX]


def _widget_id():
    return random.randint(10 ** 14, 10 ** 16 - 1)


def _with_widget_ids(widgets):
    """Return the widgets with an ``id`` on each, group members included."""
    result = []
    for widget in copy.deepcopy(widgets):
        widget.setdefault("id", _widget_id())
        definition = widget.get("definition") or {}
        if definition.get("type") == "group" and isinstance(definition.get("widgets"), list):
            definition["widgets"] = _with_widget_ids(definition["widgets"])
        result.append(widget)
    return result


def check_dashboard_rules(body):
    """Raise ApiError(400) for what Datadog rejects although the schema accepts it: layouts and tags."""
    layout_type = body.get("layout_type")
    reflow_type = body.get("reflow_type")
    errors = []
    if reflow_type is not None and layout_type != "ordered":
        errors.append("reflow_type is only supported for dashboards with layout_type 'ordered'")
    layout_required = layout_type == "free" or reflow_type == "fixed"
    layout_forbidden = layout_type == "ordered" and reflow_type == "auto"
    _check_widget_layouts(body.get("widgets") or [], "widgets", layout_required, layout_forbidden, errors)
    for tag in body.get("tags") or []:
        # Dashboard tags name the owning teams.
        if not tag.startswith("team:"):
            errors.append("Invalid dashboard tag '%s': only team:<name> tags are supported" % tag)
    if errors:
        raise ApiError(400, errors)


def _check_widget_layouts(widgets, path, required, forbidden, errors):
    for index, widget in enumerate(widgets):
        widget_path = "%s[%d]" % (path, index)
        if required and widget.get("layout") is None:
            errors.append("%s: layout is required for this dashboard's layout" % widget_path)
        if forbidden and widget.get("layout") is not None:
            errors.append("%s: layout is not allowed with reflow_type 'auto'" % widget_path)
        definition = widget.get("definition") or {}
        if definition.get("type") == "group":
            _check_widget_layouts(definition.get("widgets") or [], widget_path + ".definition.widgets", required,
                                  forbidden, errors)


def _shape(body, dashboard_id, created_at, author_handle):
    """Return the stored dashboard for a validated create or update body."""
    now = ids.iso_now()
    dashboard = {
        "id": dashboard_id,
        "title": body["title"],
        "description": body.get("description"),
        "author_handle": author_handle,
        "author_name": None,
        "layout_type": body["layout_type"],
        "url": "/dashboard/%s/%s" % (dashboard_id, _slug(body["title"])),
        "is_read_only": bool(body.get("is_read_only", False)),
        "template_variables": copy.deepcopy(body.get("template_variables")),
        "widgets": _with_widget_ids(body["widgets"]),
        "notify_list": copy.deepcopy(body.get("notify_list")),
        "created_at": created_at or now,
        "modified_at": now,
        "restricted_roles": list(body.get("restricted_roles") or []),
    }
    for optional in ("reflow_type", "tags", "template_variable_presets", "default_timeframe", "tabs"):
        if optional in body:
            dashboard[optional] = copy.deepcopy(body[optional])
    return dashboard


def _validated(request):
    body = request.json_body()
    validate_body(body, MODEL)
    check_dashboard_rules(body)
    return body


def _not_found(dashboard_id):
    return ApiError(404, "Dashboard with ID %s not found" % dashboard_id)


def create_dashboard(request):
    body = _validated(request)
    with request.store.transaction() as state:
        objects = state["objects"].setdefault(KIND, {})
        dashboard_id = ids.dashboard_id()
        while dashboard_id in objects:
            dashboard_id = ids.dashboard_id()
        dashboard = _shape(body, dashboard_id, None, AUTHOR_HANDLE)
        objects[dashboard_id] = dashboard
    return 200, dashboard


def get_dashboard(request):
    dashboard_id = request.match.group("id")
    dashboard = request.store.get_object(KIND, dashboard_id)
    if dashboard is None:
        raise _not_found(dashboard_id)
    return 200, dashboard


def update_dashboard(request):
    dashboard_id = request.match.group("id")
    body = _validated(request)
    with request.store.transaction() as state:
        objects = state["objects"].setdefault(KIND, {})
        current = objects.get(dashboard_id)
        if current is None:
            raise _not_found(dashboard_id)
        dashboard = _shape(body, dashboard_id, current["created_at"], current["author_handle"])
        objects[dashboard_id] = dashboard
    return 200, dashboard


def delete_dashboard(request):
    dashboard_id = request.match.group("id")
    with request.store.transaction() as state:
        if state["objects"].setdefault(KIND, {}).pop(dashboard_id, None) is None:
            raise _not_found(dashboard_id)
    return 200, {"deleted_dashboard_id": dashboard_id}


def _int_param(params, name, default):
    try:
        value = int(params.get(name, default))
    except ValueError:
        raise ApiError(400, "Invalid parameter %s: must be an integer" % name)
    if value < 0:
        raise ApiError(400, "Invalid parameter %s: must not be negative" % name)
    return value


def list_dashboards(request):
    if request.params.get("filter[deleted]") == "true":
        return 200, {"dashboards": []}
    dashboards = sorted(request.store.list_objects(KIND), key=lambda d: (d["created_at"], d["id"]))
    start = _int_param(request.params, "start", 0)
    if "count" in request.params:
        dashboards = dashboards[start:start + _int_param(request.params, "count", 100)]
    else:
        dashboards = dashboards[start:]
    summaries = []
    for dashboard in dashboards:
        summary = dict((key, dashboard.get(key)) for key in SUMMARY_FIELDS)
        summaries.append(summary)
    return 200, {"dashboards": summaries}


ROUTES = [
    ("POST", r"/api/v1/dashboard", create_dashboard),
    ("GET", r"/api/v1/dashboard", list_dashboards),
    ("GET", r"/api/v1/dashboard/(?P<id>[^/]+)", get_dashboard),
    ("PUT", r"/api/v1/dashboard/(?P<id>[^/]+)", update_dashboard),
    ("DELETE", r"/api/v1/dashboard/(?P<id>[^/]+)", delete_dashboard),
]
