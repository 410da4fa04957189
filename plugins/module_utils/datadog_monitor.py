# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitor-specific pieces of the datadog_monitor module: the normalization spec, the request body
built from module parameters, and the checks Datadog applies, run before any API call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.ddlab.observability.plugins.module_utils.datadog_reconcile import ResourceSpec

# Monitor types of the v1 API (datadog-api-client 2.62 MonitorType). Datadog stores "metric alert"
# as "query alert" and returns either, so both normalize to "query alert".
MONITOR_TYPES = (
    "audit alert", "ci-pipelines alert", "ci-tests alert", "composite", "cost alert", "data-jobs alert",
    "data-quality alert", "database-monitoring alert", "error-tracking alert", "event alert", "event-v2 alert",
    "llm-observability alert", "log alert", "metric alert", "network-path alert", "network-performance alert",
    "process alert", "query alert", "rum alert", "service check", "slo alert", "synthetics alert",
    "trace-analytics alert",
)

# Types whose query ends in "<comparator> <number>", which Datadog requires to equal thresholds.critical.
THRESHOLD_QUERY_TYPES = ("metric alert", "query alert", "log alert")

THRESHOLD_KEYS = ("critical", "warning", "critical_recovery", "warning_recovery")

# Module options that go into the monitor's "options" object, under the same names.
OPTION_KEYS = (
    "notify_no_data", "no_data_timeframe", "renotify_interval", "renotify_statuses", "renotify_occurrences",
    "evaluation_delay", "require_full_window", "include_tags", "notify_audit", "new_group_delay",
    "threshold_windows",
)

MONITOR_SPEC = ResourceSpec(
    name="monitor",
    managed_fields=("name", "type", "query", "message", "tags", "priority", "options"),
    # Set by Datadog or by other tools (mutes), not by this module.
    server_fields=("options.silenced",),
    # Datadog's defaults, as the API echoes them after a create without these options.
    defaults={
        "options.notify_no_data": False,
        "options.notify_audit": False,
        "options.include_tags": True,
        "options.new_host_delay": 300,
        "options.groupby_simple_monitor": False,
        "options.require_full_window": False,
    },
    aliases={"type": {"metric alert": "query alert"}},
    set_fields=("tags", "options.renotify_statuses"),
)

_QUERY_COMPARISON = re.compile(r"(?P<comparator>>=|<=|>|<)\s*(?P<value>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$")
_QUERY_WINDOW = re.compile(r"^\s*\w+\((?:last|current)_(?P<count>\d+)(?P<unit>[mhdw]|mo)\)\s*:")
_WINDOW_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080, "mo": 43200}
_THRESHOLD_WINDOW = re.compile(r"^last_\d+(m|h|d|w)$")


def parse_query_comparison(query):
    """Return ``(comparator, value)`` from the end of a threshold query, or None when it has none."""
    match = _QUERY_COMPARISON.search(query or "")
    if not match:
        return None
    return match.group("comparator"), float(match.group("value"))


def query_window_minutes(query):
    """Return the evaluation window of a metric query (``avg(last_5m):...`` -> 5) in minutes, or None."""
    match = _QUERY_WINDOW.match(query or "")
    if not match:
        return None
    return int(match.group("count")) * _WINDOW_UNIT_MINUTES[match.group("unit")]


def _number(value):
    return ("%f" % value).rstrip("0").rstrip(".")


def validate_monitor_params(params):
    """Return the list of problems in the module parameters, each naming the field and the fix.

    Only ``state=present`` parameters are checked for monitor rules; an empty list means valid.
    """
    problems = []
    if params.get("state") != "present":
        return problems
    monitor_type = params.get("type")
    query = params.get("query") or ""
    thresholds = dict((k, v) for k, v in (params.get("thresholds") or {}).items() if v is not None)

    if params.get("name") is not None and not params["name"].strip():
        problems.append("name is empty: give the monitor a name, which is also how this module finds it again.")
    if not query.strip():
        problems.append("query is empty: set the monitor query, for example 'avg(last_5m):avg:my_metric{*} > 800'.")

    if monitor_type in THRESHOLD_QUERY_TYPES and query.strip():
        problems.extend(_threshold_problems(monitor_type, query, thresholds))
    elif thresholds.get("warning_recovery") is not None and thresholds.get("warning") is None:
        problems.append("thresholds.warning_recovery is set without thresholds.warning: set a warning threshold "
                        "or remove warning_recovery.")

    if "anomalies(" in query:
        windows = params.get("threshold_windows") or {}
        if not windows.get("trigger_window") or not windows.get("recovery_window"):
            problems.append("threshold_windows is required for an anomalies() query: set "
                            "threshold_windows.trigger_window and threshold_windows.recovery_window, "
                            "for example last_15m.")
    for key in ("trigger_window", "recovery_window"):
        value = (params.get("threshold_windows") or {}).get(key)
        if value is not None and not _THRESHOLD_WINDOW.match(value):
            problems.append("threshold_windows.%s is %r: use the form last_<number><m|h|d|w>, for example "
                            "last_15m." % (key, value))

    if params.get("renotify_occurrences") is not None and not params.get("renotify_interval"):
        problems.append("renotify_occurrences is set without renotify_interval: set renotify_interval (minutes "
                        "between re-notifications) or remove renotify_occurrences.")
    if params.get("renotify_statuses") and not params.get("renotify_interval"):
        problems.append("renotify_statuses is set without renotify_interval: set renotify_interval or remove "
                        "renotify_statuses.")

    problems.extend(_no_data_problems(params, monitor_type, query))

    for key in ("renotify_interval", "evaluation_delay", "new_group_delay", "renotify_occurrences"):
        value = params.get(key)
        if value is not None and value < 0:
            problems.append("%s is %s: it must be 0 or more." % (key, value))
    if params.get("priority") is not None and not 1 <= params["priority"] <= 5:
        problems.append("priority is %s: use 1 (highest) to 5 (lowest), or leave it unset." % params["priority"])
    for tag in params.get("tags") or []:
        if "," in tag:
            problems.append("tags item %r contains a comma: give each tag as its own list item, for example "
                            "[%s]." % (tag, ", ".join(repr(t.strip()) for t in tag.split(","))))
        elif not tag.strip() or tag != tag.strip():
            problems.append("tags item %r is empty or has surrounding spaces: remove the spaces." % tag)
    return problems


def _threshold_problems(monitor_type, query, thresholds):
    problems = []
    comparison = parse_query_comparison(query)
    if comparison is None:
        return ["query %r has no comparison at its end: a %s query must end with a comparator and the alert "
                "threshold, for example '... > 800'." % (query, monitor_type)]
    comparator, query_value = comparison
    critical = thresholds.get("critical")
    if critical is None:
        return ["thresholds.critical is missing: a %s needs it, and it must equal the number in the query "
                "(set thresholds.critical: %s)." % (monitor_type, _number(query_value))]
    if float(critical) != query_value:
        problems.append("thresholds.critical is %s but the query compares with %s: make them equal (set "
                        "thresholds.critical: %s or change the query)."
                        % (_number(critical), _number(query_value), _number(query_value)))
    above = comparator in (">", ">=")
    side = "below" if above else "above"

    def wrong_side(value, reference):
        return value >= reference if above else value <= reference

    warning = thresholds.get("warning")
    if warning is not None and wrong_side(warning, critical):
        problems.append("thresholds.warning is %s but must be %s thresholds.critical (%s) because the query "
                        "alerts on '%s': lower or raise the warning accordingly."
                        % (_number(warning), side, _number(critical), comparator))
    recovery = thresholds.get("critical_recovery")
    if recovery is not None and wrong_side(recovery, critical):
        problems.append("thresholds.critical_recovery is %s but must be %s thresholds.critical (%s) for a '%s' "
                        "query: a monitor recovers on the non-alerting side."
                        % (_number(recovery), side, _number(critical), comparator))
    warning_recovery = thresholds.get("warning_recovery")
    if warning_recovery is not None:
        if warning is None:
            problems.append("thresholds.warning_recovery is set without thresholds.warning: set a warning "
                            "threshold or remove warning_recovery.")
        elif wrong_side(warning_recovery, warning):
            problems.append("thresholds.warning_recovery is %s but must be %s thresholds.warning (%s) for a '%s' "
                            "query." % (_number(warning_recovery), side, _number(warning), comparator))
    return problems


def _no_data_problems(params, monitor_type, query):
    problems = []
    timeframe = params.get("no_data_timeframe")
    if timeframe is None:
        return problems
    if not params.get("notify_no_data"):
        problems.append("no_data_timeframe is set but notify_no_data is not true: set notify_no_data: true, or "
                        "remove no_data_timeframe.")
    if timeframe <= 0:
        problems.append("no_data_timeframe is %s: give the minutes without data before notifying, more than 0."
                        % timeframe)
        return problems
    window = query_window_minutes(query) if monitor_type in ("metric alert", "query alert") else None
    if window is not None and timeframe < 2 * window:
        problems.append("no_data_timeframe is %s minutes but Datadog requires at least twice the query window "
                        "(%s minutes) for a metric monitor: set it to %s or more."
                        % (timeframe, window, 2 * window))
    return problems


def build_monitor_body(params, current=None):
    """Return the request body for create or update from the module parameters.

    ``options`` is complete, because Datadog replaces it whole on update. ``notification_message``
    (the API's ``message``), ``tags`` and ``priority`` left unset (None) keep the current monitor's values, so they are neither compared
    nor changed. ``type`` keeps the current spelling when it is equivalent (``metric alert`` /
    ``query alert``).
    """
    body = {"query": params["query"]}
    name = params.get("name")
    if name is None and current is not None:
        name = current.get("name")
    body["name"] = name
    monitor_type = params["type"]
    if current is not None and _canonical_type(current.get("type")) == _canonical_type(monitor_type):
        monitor_type = current["type"]
    body["type"] = monitor_type
    # Ansible reserves the option name "message", so the module calls it notification_message.
    for key, option in (("message", "notification_message"), ("tags", "tags"), ("priority", "priority")):
        if params.get(option) is not None:
            body[key] = params[option]
        elif current is not None and key in current:
            body[key] = current[key]

    options = {}
    thresholds = dict((k, v) for k, v in (params.get("thresholds") or {}).items() if v is not None)
    if thresholds:
        options["thresholds"] = thresholds
    for key in OPTION_KEYS:
        value = params.get(key)
        if value is None:
            continue
        if key == "threshold_windows":
            value = dict((k, v) for k, v in value.items() if v is not None)
        options[key] = value
    body["options"] = options
    return body


def _canonical_type(monitor_type):
    return "query alert" if monitor_type == "metric alert" else monitor_type
