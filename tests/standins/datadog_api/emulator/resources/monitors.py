"""v1 monitors: create, get, update, delete, list, validate, answered the way Datadog answers them.

Datadog behaviour reproduced here (seen in recorded responses of the real API):
* ``metric alert`` is stored and returned as ``query alert``.
* Thresholds come back as floats; thresholds set to null are dropped.
* Server defaults in ``options``: ``notify_no_data`` false, ``notify_audit`` false, ``include_tags``
  true, ``new_host_delay`` 300 (only when the key is absent; an explicit null stays null),
  ``silenced`` {}, and ``groupby_simple_monitor`` false for log alerts.
* An update replaces ``options`` whole, and its response has no ``creator``.
* ``multi`` is true for grouped queries (``by {...}`` or ``.by(...)``).
"""

import copy
import re

from .. import ids
from ..errors import ApiError
from ..validation import validate_body

KIND = "monitor"
ORG_ID = 321813
CREATOR = {"name": None, "handle": "emulator@example.com", "email": "emulator@example.com", "id": 1445416}
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100

# Types whose query ends with "<comparator> <number>" that must agree with options.thresholds.critical.
THRESHOLD_QUERY_TYPES = frozenset(["metric alert", "query alert", "log alert"])
_QUERY_COMPARISON = re.compile(r"(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$")


# -- rules Datadog enforces on top of the schema ----------------------------------------------

def check_monitor_rules(monitor):
    """Raise ApiError(400) for a monitor that Datadog would reject although the schema accepts it."""
    errors = []
    options = monitor.get("options") or {}
    thresholds = {k: v for k, v in (options.get("thresholds") or {}).items() if v is not None}
    query = monitor.get("query") or ""
    if monitor.get("type") in THRESHOLD_QUERY_TYPES:
        match = _QUERY_COMPARISON.search(query)
        if not match:
            operator = query.strip().split(" ")[-1] if " " in query.strip() else ""
            raise ApiError(400, "The value provided for parameter 'query' is invalid: invalid operator specified: %s"
                           % ("" if operator == query.strip() else operator))
        comparator, query_value = match.group(1), float(match.group(2))
        critical = thresholds.get("critical")
        if critical is not None and float(critical) != query_value:
            errors.append("Alert threshold (%s) does not match that used in the query (%s)."
                          % (float(critical), query_value))
        errors.extend(_threshold_order_errors(comparator, thresholds, query_value))
    if "anomalies(" in query and not options.get("threshold_windows"):
        errors.append("Anomaly monitors require options.threshold_windows with trigger_window and recovery_window.")
    if options.get("renotify_occurrences") is not None and not options.get("renotify_interval"):
        errors.append("renotify_occurrences requires renotify_interval to be set.")
    if errors:
        raise ApiError(400, errors)


def _threshold_order_errors(comparator, thresholds, critical):
    """Check that warning and the recovery thresholds sit on the side of ``critical`` that the comparator implies."""
    above = comparator in (">", ">=")
    word = "less" if above else "greater"
    errors = []

    def wrong_side(value, reference):
        return value >= reference if above else value <= reference

    warning = thresholds.get("warning")
    if warning is not None and wrong_side(float(warning), critical):
        errors.append("Warning threshold (%s) must be %s than the alert threshold (%s) with %s comparison."
                      % (float(warning), word, critical, comparator))
    recovery = thresholds.get("critical_recovery")
    if recovery is not None and wrong_side(float(recovery), critical):
        errors.append("Alert recovery threshold (%s) must be %s than the alert threshold (%s) with %s comparison."
                      % (float(recovery), word, critical, comparator))
    warning_recovery = thresholds.get("warning_recovery")
    if warning_recovery is not None:
        if warning is None:
            errors.append("Warning recovery threshold (%s) requires a warning threshold." % float(warning_recovery))
        elif wrong_side(float(warning_recovery), float(warning)):
            errors.append("Warning recovery threshold (%s) must be %s than the warning threshold (%s) with %s "
                          "comparison." % (float(warning_recovery), word, float(warning), comparator))
    return errors


# -- shaping stored monitors -------------------------------------------------------------------

def _apply_option_defaults(monitor_type, options):
    options = copy.deepcopy(options or {})
    if "thresholds" in options and isinstance(options["thresholds"], dict):
        options["thresholds"] = {k: float(v) for k, v in options["thresholds"].items() if v is not None}
    options.setdefault("notify_no_data", False)
    options.setdefault("notify_audit", False)
    options.setdefault("new_host_delay", 300)
    options.setdefault("include_tags", True)
    if monitor_type == "log alert":
        options.setdefault("groupby_simple_monitor", False)
    options.setdefault("silenced", {})
    return options


def _stored_type(monitor_type):
    return "query alert" if monitor_type == "metric alert" else monitor_type


def _is_multi(query):
    return bool(re.search(r"\bby\s*\{", query or "")) or ".by(" in (query or "")


def _answer(monitor, with_creator=True, with_downtimes=False):
    answer = copy.deepcopy(monitor)
    if not with_creator:
        answer.pop("creator", None)
    if with_downtimes:
        answer["matching_downtimes"] = []
    return answer


def _monitor_id(request):
    raw = request.match.group("id")
    if not raw.isdigit():
        raise ApiError(404, "Monitor not found")
    return raw


def _load(request):
    monitor = request.store.get_object(KIND, _monitor_id(request))
    if monitor is None:
        raise ApiError(404, "Monitor not found")
    return monitor


# -- handlers ------------------------------------------------------------------------------------

def create_monitor(request):
    body = request.json_body()
    validate_body(body, "datadog_api_client.v1.model.monitor.Monitor")
    check_monitor_rules(body)
    now = ids.iso_now()
    monitor_type = _stored_type(body["type"])
    with request.store.transaction() as state:
        monitor_id = ids.next_int_id(state, KIND)
        monitor = {
            "id": monitor_id,
            "org_id": ORG_ID,
            "type": monitor_type,
            "name": body.get("name", ""),
            "message": body.get("message", ""),
            "tags": list(body.get("tags") or []),
            "query": body["query"],
            "options": _apply_option_defaults(monitor_type, body.get("options")),
            "multi": _is_multi(body["query"]),
            "created_at": ids.epoch_millis(),
            "created": now,
            "modified": now,
            "deleted": None,
            "restricted_roles": body.get("restricted_roles"),
            "priority": body.get("priority"),
            "restriction_policy": None,
            "overall_state_modified": None,
            "overall_state": "No Data",
            "creator": dict(CREATOR),
        }
        state["objects"].setdefault(KIND, {})[str(monitor_id)] = monitor
    return 200, _answer(monitor)


def get_monitor(request):
    monitor = _load(request)
    return 200, _answer(monitor, with_downtimes=request.params.get("with_downtimes") == "true")


def update_monitor(request):
    body = request.json_body()
    validate_body(body, "datadog_api_client.v1.model.monitor_update_request.MonitorUpdateRequest")
    monitor_id = _monitor_id(request)
    with request.store.transaction() as state:
        monitors = state["objects"].setdefault(KIND, {})
        if monitor_id not in monitors:
            raise ApiError(404, "Monitor not found")
        monitor = copy.deepcopy(monitors[monitor_id])
        if "type" in body and _stored_type(body["type"]) != monitor["type"]:
            raise ApiError(400, "The monitor type cannot be changed from '%s' to '%s'." % (monitor["type"], body["type"]))
        for key in ("name", "message", "query", "tags", "priority", "restricted_roles"):
            if key in body:
                monitor[key] = list(body[key] or []) if key == "tags" else body[key]
        if "options" in body:
            monitor["options"] = _apply_option_defaults(monitor["type"], body["options"])
        check_monitor_rules(monitor)
        monitor["multi"] = _is_multi(monitor["query"])
        monitor["modified"] = ids.iso_now()
        monitors[monitor_id] = monitor
    return 200, _answer(monitor, with_creator=False)


def delete_monitor(request):
    monitor_id = _monitor_id(request)
    with request.store.transaction() as state:
        if state["objects"].setdefault(KIND, {}).pop(monitor_id, None) is None:
            raise ApiError(404, "Monitor not found")
    return 200, {"deleted_monitor_id": int(monitor_id)}


def list_monitors(request):
    params = request.params
    monitors = sorted(request.store.list_objects(KIND), key=lambda m: m["id"])
    name = params.get("name")
    if name:
        monitors = [m for m in monitors if name.lower() in (m.get("name") or "").lower()]
    monitor_tags = [t.strip() for t in (params.get("monitor_tags") or "").split(",") if t.strip()]
    if monitor_tags:
        monitors = [m for m in monitors if all(tag in (m.get("tags") or []) for tag in monitor_tags)]
    if "page" in params or "page_size" in params:
        try:
            page = int(params.get("page", 0))
            page_size = int(params.get("page_size", DEFAULT_PAGE_SIZE))
        except ValueError:
            raise ApiError(400, "page and page_size must be integers")
        if page < 0 or page_size < 1 or page_size > MAX_PAGE_SIZE:
            raise ApiError(400, "page must be >= 0 and page_size between 1 and %d" % MAX_PAGE_SIZE)
        monitors = monitors[page * page_size:(page + 1) * page_size]
    with_downtimes = params.get("with_downtimes", "true") == "true"
    return 200, [_answer(m, with_downtimes=with_downtimes) for m in monitors]


def validate_monitor(request):
    body = request.json_body()
    validate_body(body, "datadog_api_client.v1.model.monitor.Monitor")
    check_monitor_rules(body)
    return 200, {}


ROUTES = [
    ("POST", r"/api/v1/monitor", create_monitor),
    ("GET", r"/api/v1/monitor", list_monitors),
    ("POST", r"/api/v1/monitor/validate", validate_monitor),
    ("GET", r"/api/v1/monitor/(?P<id>[^/]+)", get_monitor),
    ("PUT", r"/api/v1/monitor/(?P<id>[^/]+)", update_monitor),
    ("DELETE", r"/api/v1/monitor/(?P<id>[^/]+)", delete_monitor),
]
