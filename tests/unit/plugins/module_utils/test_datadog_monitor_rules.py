# -*- coding: utf-8 -*-
"""Monitor parameter checks and request bodies, as tables."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.ddlab.observability.plugins.module_utils.datadog_monitor import (
    build_monitor_body,
    parse_query_comparison,
    query_window_minutes,
    validate_monitor_params,
)

BASE = dict(
    state="present", name="my_metric is high", id=None, type="metric alert",
    query="avg(last_5m):avg:my_metric{host:a} > 800", notification_message="{{#is_alert}}x{{/is_alert}}",
    tags=["a:b"],
    priority=None, thresholds=dict(critical=800.0, warning=500.0, critical_recovery=None, warning_recovery=None),
    notify_no_data=True, no_data_timeframe=10, renotify_interval=None, renotify_statuses=None,
    renotify_occurrences=None, evaluation_delay=None, require_full_window=None, include_tags=None,
    notify_audit=None, new_group_delay=None, threshold_windows=None,
)


def params(**changes):
    result = dict(BASE)
    for key, value in changes.items():
        if key.startswith("thresholds_"):
            result["thresholds"] = dict(result["thresholds"], **{key[len("thresholds_"):]: value})
        else:
            result[key] = value
    return result


VALID = [
    ("seed monitor", params()),
    ("below comparator", params(query="avg(last_5m):avg:my_metric{*} < 10", thresholds_critical=10.0,
                                thresholds_warning=20.0)),
    ("recovery thresholds", params(thresholds_critical_recovery=700.0, thresholds_warning_recovery=400.0)),
    ("ge comparator", params(query="avg(last_5m):avg:my_metric{*} >= 800.0")),
    ("anomalies with windows", params(query="avg(last_4h):anomalies(avg:mysql.performance.com_select{*}, 'basic', 2) >= 1",
                                      thresholds_critical=1.0, thresholds_warning=None, no_data_timeframe=None,
                                      notify_no_data=None,
                                      threshold_windows=dict(trigger_window="last_15m", recovery_window="last_15m"))),
    ("renotify", params(renotify_interval=60, renotify_occurrences=3, renotify_statuses=["alert"])),
    ("service check without thresholds", params(type="service check", query='"http.can_connect".over("*").by("host").last(2).count_by_status()',
                                                thresholds=None, no_data_timeframe=None, notify_no_data=None)),
    ("absent skips rules", params(state="absent", query=None, thresholds=None)),
]


@pytest.mark.parametrize("label, values", VALID, ids=[case[0] for case in VALID])
def test_valid_params(label, values):
    assert validate_monitor_params(values) == []


INVALID = [
    # label, parameters, words the message must contain (field and fix)
    ("critical differs from query", params(thresholds_critical=700.0), ["thresholds.critical is 700", "800"]),
    ("critical missing", params(thresholds_critical=None), ["thresholds.critical is missing", "800"]),
    ("no comparison", params(query="avg(last_5m):avg:my_metric{*}"), ["no comparison", "> 800"]),
    ("warning above critical", params(thresholds_warning=900.0), ["thresholds.warning is 900", "below"]),
    ("warning equals critical", params(thresholds_warning=800.0), ["thresholds.warning is 800", "below"]),
    ("warning below critical with <", params(query="avg(last_5m):avg:m{*} < 10", thresholds_critical=10.0,
                                             thresholds_warning=5.0), ["thresholds.warning is 5", "above"]),
    ("critical recovery wrong side", params(thresholds_critical_recovery=900.0), ["thresholds.critical_recovery is 900"]),
    ("warning recovery wrong side", params(thresholds_warning_recovery=600.0), ["thresholds.warning_recovery is 600"]),
    ("warning recovery alone", params(thresholds_warning=None, thresholds_warning_recovery=400.0),
     ["thresholds.warning_recovery", "without thresholds.warning"]),
    ("anomalies without windows", params(query="avg(last_4h):anomalies(avg:m{*}, 'basic', 2) >= 1",
                                         thresholds_critical=1.0, thresholds_warning=None, no_data_timeframe=None),
     ["threshold_windows is required", "anomalies()"]),
    ("bad window", params(threshold_windows=dict(trigger_window="15 minutes", recovery_window="last_15m")),
     ["threshold_windows.trigger_window", "last_15m"]),
    ("renotify occurrences alone", params(renotify_occurrences=3), ["renotify_occurrences", "renotify_interval"]),
    ("renotify statuses alone", params(renotify_statuses=["alert"]), ["renotify_statuses", "renotify_interval"]),
    ("no data timeframe too short", params(no_data_timeframe=5), ["no_data_timeframe is 5", "10"]),
    ("no data timeframe without notify", params(notify_no_data=False), ["notify_no_data: true"]),
    ("no data timeframe zero", params(no_data_timeframe=0), ["no_data_timeframe is 0"]),
    ("priority too high", params(priority=6), ["priority is 6", "1 (highest) to 5"]),
    ("negative renotify", params(renotify_interval=-1), ["renotify_interval is -1"]),
    ("negative evaluation delay", params(evaluation_delay=-5), ["evaluation_delay is -5"]),
    ("comma in tag", params(tags=["great:success, datadogisthebest"]), ["contains a comma", "'datadogisthebest'"]),
    ("blank name", params(name="  "), ["name is empty"]),
    ("blank query", params(query=" ", thresholds=None), ["query is empty"]),
]


@pytest.mark.parametrize("label, values, words", INVALID, ids=[case[0] for case in INVALID])
def test_invalid_params(label, values, words):
    problems = validate_monitor_params(values)
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0]


@pytest.mark.parametrize("query, expected", [
    ("avg(last_5m):avg:my_metric{*} > 800", (">", 800.0)),
    ("avg(last_5m):avg:my_metric{*} >= 0.5", (">=", 0.5)),
    ("avg(last_5m):avg:my_metric{*} < -3", ("<", -3.0)),
    ("avg(last_5m):avg:my_metric{*} <= 1e3", ("<=", 1000.0)),
    ("avg(last_5m):avg:my_metric{*}", None),
])
def test_parse_query_comparison(query, expected):
    assert parse_query_comparison(query) == expected


@pytest.mark.parametrize("query, minutes", [
    ("avg(last_5m):avg:m{*} > 1", 5),
    ("max(last_1h):avg:m{*} > 1", 60),
    ("avg(last_1d):avg:m{*} > 1", 1440),
    ("avg(current_1mo):avg:m{*} > 1", 43200),
    ('"check".over("*").last(2).count_by_status()', None),
])
def test_query_window_minutes(query, minutes):
    assert query_window_minutes(query) == minutes


def test_body_for_create():
    body = build_monitor_body(params())
    assert body == {
        "name": "my_metric is high",
        "type": "metric alert",
        "query": "avg(last_5m):avg:my_metric{host:a} > 800",
        "message": "{{#is_alert}}x{{/is_alert}}",
        "tags": ["a:b"],
        "options": {"thresholds": {"critical": 800.0, "warning": 500.0}, "notify_no_data": True,
                    "no_data_timeframe": 10},
    }


def test_body_keeps_unset_fields_of_current():
    current = {"id": 5, "name": "old", "type": "query alert", "message": "kept", "tags": ["t:1"], "priority": 2}
    body = build_monitor_body(params(notification_message=None, tags=None, name=None), current)
    assert body["name"] == "old"
    assert body["message"] == "kept"
    assert body["tags"] == ["t:1"]
    assert body["priority"] == 2
    assert body["type"] == "query alert"
