# -*- coding: utf-8 -*-
"""Normalization and the reconcile flow, as tables; monitor cases use the real monitor spec."""

from __future__ import absolute_import, division, print_function

import copy

import pytest

from ansible_collections.ddlab.observability.plugins.module_utils.datadog_monitor import MONITOR_SPEC
from ansible_collections.ddlab.observability.plugins.module_utils.datadog_reconcile import (
    ResourceSpec,
    changed_paths,
    normalize,
    reconcile,
)

MESSAGE = "{{#is_alert}}my_metric is {{value}} on {{host.ip}}{{/is_alert}}\n@ops@example.com"

DESIRED = {
    "name": "my_metric is high",
    "type": "metric alert",
    "query": "avg(last_5m):avg:my_metric{host:a} by {host} > 800",
    "message": MESSAGE,
    "tags": ["metric:my_metric", "managed_by:ansible"],
    "options": {"thresholds": {"critical": 800, "warning": 500}, "notify_no_data": True, "no_data_timeframe": 10},
}

# What the API returns for DESIRED (shape of a recorded Datadog response).
SERVER = {
    "id": 109995008, "org_id": 321813, "type": "query alert", "name": "my_metric is high", "message": MESSAGE,
    "tags": ["managed_by:ansible", "metric:my_metric"],
    "query": "avg(last_5m):avg:my_metric{host:a} by {host} > 800",
    "options": {"thresholds": {"critical": 800.0, "warning": 500.0}, "notify_no_data": True,
                "no_data_timeframe": 10, "notify_audit": False, "new_host_delay": 300, "include_tags": True,
                "silenced": {}},
    "multi": True, "created_at": 1, "created": "2026-01-01T00:00:00+00:00", "modified": "2026-01-01T00:00:00+00:00",
    "deleted": None, "restricted_roles": None, "priority": None, "restriction_policy": None,
    "overall_state_modified": None, "overall_state": "No Data",
    "creator": {"name": None, "handle": "x@example.com", "email": "x@example.com", "id": 1},
}


def changed(base, path, value):
    """Return a deep copy of ``base`` with the dotted ``path`` set to ``value`` (None deletes it)."""
    result = copy.deepcopy(base)
    target = result
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    if value is None:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = value
    return result


EQUAL_CASES = [
    ("server form", SERVER),
    ("type alias", changed(SERVER, "type", "metric alert")),
    ("tag order", changed(SERVER, "tags", ["metric:my_metric", "managed_by:ansible"])),
    ("duplicate tag", changed(SERVER, "tags", ["metric:my_metric", "managed_by:ansible", "metric:my_metric"])),
    ("integer thresholds", changed(SERVER, "options.thresholds", {"critical": 800, "warning": 500})),
    ("null threshold", changed(SERVER, "options.thresholds", {"critical": 800.0, "warning": 500.0,
                                                              "critical_recovery": None})),
    ("silenced set by a mute", changed(SERVER, "options.silenced", {"*": None})),
    ("default include_tags absent", changed(SERVER, "options.include_tags", None)),
    ("default new_host_delay absent", changed(SERVER, "options.new_host_delay", None)),
    ("explicit default require_full_window", changed(SERVER, "options.require_full_window", False)),
    ("groupby_simple_monitor default", changed(SERVER, "options.groupby_simple_monitor", False)),
    ("null priority", changed(SERVER, "priority", None)),
    ("server-set state", changed(SERVER, "overall_state", "Alert")),
]


@pytest.mark.parametrize("label, current", EQUAL_CASES, ids=[case[0] for case in EQUAL_CASES])
def test_monitor_equal_after_normalization(label, current):
    assert normalize(current, MONITOR_SPEC) == normalize(DESIRED, MONITOR_SPEC)


DIFFERENT_CASES = [
    ("warning threshold", changed(SERVER, "options.thresholds.warning", 600.0), "options.thresholds.warning"),
    ("critical threshold", changed(SERVER, "options.thresholds.critical", 900.0), "options.thresholds.critical"),
    ("message whitespace", changed(SERVER, "message", MESSAGE + " "), "message"),
    ("message rendered", changed(SERVER, "message", "my_metric is  on "), "message"),
    ("name", changed(SERVER, "name", "renamed in the UI"), "name"),
    ("extra tag", changed(SERVER, "tags", ["managed_by:ansible", "metric:my_metric", "ui:edit"]), "tags"),
    ("option added in UI", changed(SERVER, "options.renotify_interval", 60), "options.renotify_interval"),
    ("notify_no_data off", changed(SERVER, "options.notify_no_data", False), "options.notify_no_data"),
    ("non-default new_host_delay", changed(SERVER, "options.new_host_delay", 600), "options.new_host_delay"),
    ("query", changed(SERVER, "query", "avg(last_5m):avg:my_metric{*} > 800"), "query"),
    ("type", changed(SERVER, "type", "service check"), "type"),
]


@pytest.mark.parametrize("label, current, path", DIFFERENT_CASES, ids=[case[0] for case in DIFFERENT_CASES])
def test_monitor_difference_detected(label, current, path):
    before = normalize(current, MONITOR_SPEC)
    after = normalize(DESIRED, MONITOR_SPEC)
    assert before != after
    assert changed_paths(before, after) == [path]


def test_normalize_keeps_message_bytes():
    assert normalize(SERVER, MONITOR_SPEC)["message"] == MESSAGE


def test_normalize_does_not_mutate_input():
    original = copy.deepcopy(SERVER)
    normalize(SERVER, MONITOR_SPEC)
    assert SERVER == original


LIST_SPEC = ResourceSpec(
    name="dashboard",
    managed_fields=("title", "widgets"),
    server_fields=("widgets[].id", "widgets[].definition.requests[].style"),
)


def test_list_server_fields_removed():
    current = {"title": "t", "id": "abc-def-ghi",
               "widgets": [{"id": 1, "definition": {"type": "timeseries",
                                                    "requests": [{"q": "a", "style": {"palette": "dog"}}]}}]}
    desired = {"title": "t", "widgets": [{"definition": {"type": "timeseries", "requests": [{"q": "a"}]}}]}
    assert normalize(current, LIST_SPEC) == normalize(desired, LIST_SPEC)


class FakeModule:
    def __init__(self, check_mode=False, diff=True):
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


class Writes:
    def __init__(self, answer=None):
        self.calls = []
        self.answer = answer

    def create(self):
        self.calls.append("create")
        return self.answer

    def update(self):
        self.calls.append("update")
        return self.answer

    def delete(self):
        self.calls.append("delete")


FLOW_CASES = [
    # label, state, current, check_mode, expected changed, expected write calls
    ("create", "present", None, False, True, ["create"]),
    ("create in check mode", "present", None, True, True, []),
    ("no-op", "present", SERVER, False, False, []),
    ("update", "present", changed(SERVER, "options.thresholds.warning", 600.0), False, True, ["update"]),
    ("update in check mode", "present", changed(SERVER, "options.thresholds.warning", 600.0), True, True, []),
    ("delete", "absent", SERVER, False, True, ["delete"]),
    ("delete in check mode", "absent", SERVER, True, True, []),
    ("already absent", "absent", None, False, False, []),
]


@pytest.mark.parametrize("label, state, current, check_mode, expect_changed, expect_calls", FLOW_CASES,
                         ids=[case[0] for case in FLOW_CASES])
def test_reconcile_flow(label, state, current, check_mode, expect_changed, expect_calls):
    module = FakeModule(check_mode=check_mode)
    writes = Writes(answer=SERVER)
    desired = DESIRED if state == "present" else None
    result = reconcile(module, MONITOR_SPEC, state, current, desired, writes.create, writes.update, writes.delete)
    assert result["changed"] is expect_changed
    assert writes.calls == expect_calls
    assert module.warnings == []


@pytest.mark.parametrize("state, current", [
    ("present", None),
    ("present", changed(SERVER, "options.thresholds.warning", 600.0)),
    ("absent", SERVER),
])
def test_check_mode_predicts_real_run(state, current):
    desired = DESIRED if state == "present" else None
    predicted = reconcile(FakeModule(check_mode=True), MONITOR_SPEC, state, current, desired,
                          Writes(SERVER).create, Writes(SERVER).update, Writes().delete)
    real = reconcile(FakeModule(check_mode=False), MONITOR_SPEC, state, current, desired,
                     Writes(SERVER).create, Writes(SERVER).update, Writes().delete)
    assert predicted["diff"] == real["diff"]
    assert predicted["changed"] == real["changed"]


def test_reconcile_warns_when_server_keeps_other_values():
    module = FakeModule()
    stored = changed(SERVER, "options.thresholds.warning", 400.0)
    reconcile(module, MONITOR_SPEC, "present", None, DESIRED, Writes(stored).create, None, None)
    assert len(module.warnings) == 1
    assert "options.thresholds.warning" in module.warnings[0]


def test_diff_absent_only_without_diff_mode():
    result = reconcile(FakeModule(diff=False), MONITOR_SPEC, "present", SERVER, DESIRED)
    assert "diff" not in result
