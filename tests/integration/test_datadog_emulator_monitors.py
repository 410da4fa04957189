"""The emulator's monitor routes and admin API, called over HTTP like the modules and tests call them."""

import pytest

QUERY = "avg(last_5m):avg:my_metric{host:a} > 800"


def monitor_body(**changes):
    body = {"name": "emulated", "type": "metric alert", "query": QUERY, "message": "m",
            "options": {"thresholds": {"critical": 800, "warning": 500}}}
    body.update(changes)
    return body


def create(emulator, **changes):
    status, body = emulator.api("POST", "/api/v1/monitor", monitor_body(**changes))[:2]
    assert status == 200, body
    return body


def test_create_applies_server_defaults(datadog_emulator):
    monitor = create(datadog_emulator)
    assert isinstance(monitor["id"], int)
    assert monitor["type"] == "query alert"
    assert monitor["options"]["thresholds"] == {"critical": 800.0, "warning": 500.0}
    assert isinstance(monitor["options"]["thresholds"]["critical"], float)
    assert monitor["options"]["new_host_delay"] == 300
    assert monitor["options"]["include_tags"] is True
    assert monitor["options"]["notify_no_data"] is False
    assert monitor["options"]["silenced"] == {}
    assert monitor["multi"] is False
    assert monitor["overall_state"] == "No Data"


def test_update_replaces_options_whole(datadog_emulator):
    monitor = create(datadog_emulator, options={"thresholds": {"critical": 800}, "renotify_interval": 60})
    status, updated = datadog_emulator.api("PUT", "/api/v1/monitor/%d" % monitor["id"],
                                           {"options": {"thresholds": {"critical": 800}}})[:2]
    assert status == 200
    assert "renotify_interval" not in updated["options"]
    assert "creator" not in updated
    assert updated["name"] == "emulated"


def test_explicit_null_new_host_delay_kept(datadog_emulator):
    monitor = create(datadog_emulator, options={"thresholds": {"critical": 800}, "new_host_delay": None})
    assert monitor["options"]["new_host_delay"] is None


REJECTED = [
    # label, body changes, words in the error
    ("critical differs from query", dict(options={"thresholds": {"critical": 700}}), ["Alert threshold (700.0)"]),
    ("warning above critical", dict(options={"thresholds": {"critical": 800, "warning": 900}}),
     ["Warning threshold (900.0) must be less"]),
    ("warning below critical with less-than", dict(query="avg(last_5m):avg:m{*} < 10",
                                                   options={"thresholds": {"critical": 10, "warning": 5}}),
     ["must be greater"]),
    ("recovery on alerting side", dict(options={"thresholds": {"critical": 800, "critical_recovery": 900}}),
     ["Alert recovery threshold"]),
    ("anomalies without windows", dict(query="avg(last_4h):anomalies(avg:m{*}, 'basic', 2) >= 1",
                                       options={"thresholds": {"critical": 1}}), ["threshold_windows"]),
    ("renotify occurrences alone", dict(options={"thresholds": {"critical": 800}, "renotify_occurrences": 2}),
     ["renotify_interval"]),
    ("unknown type", dict(type="metrc alert"), ["body.type", "metrc alert"]),
    ("unknown option", dict(options={"thresholds": {"critical": 800}, "notify_nodata": True}), ["notify_nodata"]),
    ("read-only field", dict(id=5), ["body.id", "read-only"]),
    ("wrong type", dict(options={"thresholds": {"critical": "high"}}), ["critical"]),
    ("missing query", dict(query=None), ["query"]),
    ("invalid operator", dict(query="query", type="log alert"), ["invalid operator specified"]),
]


@pytest.mark.parametrize("label, changes, words", REJECTED, ids=[case[0] for case in REJECTED])
def test_invalid_monitor_rejected(datadog_emulator, label, changes, words):
    body = monitor_body(**changes)
    body = {key: value for key, value in body.items() if value is not None}
    status, answer = datadog_emulator.api("POST", "/api/v1/monitor", body)[:2]
    assert status == 400, answer
    text = " ".join(answer["errors"])
    for word in words:
        assert word in text
    assert datadog_emulator.objects("monitor") == []


def test_list_filters_and_pages(datadog_emulator):
    for index in range(5):
        create(datadog_emulator, name="cpu %d" % index, tags=["team:a"] if index % 2 else ["team:b"])
    create(datadog_emulator, name="disk")
    assert len(datadog_emulator.api("GET", "/api/v1/monitor?name=CPU")[1]) == 5
    assert len(datadog_emulator.api("GET", "/api/v1/monitor?monitor_tags=team:a")[1]) == 2
    first = datadog_emulator.api("GET", "/api/v1/monitor?page=0&page_size=4")[1]
    second = datadog_emulator.api("GET", "/api/v1/monitor?page=1&page_size=4")[1]
    assert len(first) == 4
    assert len(second) == 2
    assert not {m["id"] for m in first} & {m["id"] for m in second}


@pytest.mark.parametrize("api_key, app_key, status, error", [
    ("", None, 403, "API key required"),
    ("f" * 32, None, 403, "Forbidden"),
    (None, "e" * 40, 403, "Forbidden"),
])
def test_keys_checked(datadog_emulator, api_key, app_key, status, error):
    answer = datadog_emulator.api("GET", "/api/v1/monitor", api_key=api_key, app_key=app_key)
    assert answer[0] == status
    assert answer[1] == {"errors": [error]}


def test_validate_needs_only_api_key(datadog_emulator):
    answer = datadog_emulator.api("GET", "/api/v1/validate", app_key="e" * 40)
    assert answer[:2] == (200, {"valid": True})


def test_delete_twice_returns_404(datadog_emulator):
    monitor = create(datadog_emulator)
    first = datadog_emulator.api("DELETE", "/api/v1/monitor/%d" % monitor["id"])
    second = datadog_emulator.api("DELETE", "/api/v1/monitor/%d" % monitor["id"])
    assert first[:2] == (200, {"deleted_monitor_id": monitor["id"]})
    assert second[:2] == (404, {"errors": ["Monitor not found"]})


def test_request_log_counts_writes(datadog_emulator):
    monitor = create(datadog_emulator)
    datadog_emulator.api("GET", "/api/v1/monitor/%d" % monitor["id"])
    writes = datadog_emulator.write_requests()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in writes] == [
        ("POST", "/api/v1/monitor", 200)]
    assert len(datadog_emulator.requests()) == 2


def test_rate_limit_fault_headers(datadog_emulator):
    datadog_emulator.add_fault("status", method="GET", status=429, remaining=2,
                               headers={"X-RateLimit-Reset": "2"}, errors=["Rate limit exceeded"])
    for attempt in range(2):
        status, body, headers = datadog_emulator.api("GET", "/api/v1/monitor")
        assert status == 429, attempt
        assert headers["X-RateLimit-Reset"] == "2"
        assert body == {"errors": ["Rate limit exceeded"]}
    assert datadog_emulator.api("GET", "/api/v1/monitor")[0] == 200


def test_drop_after_commit_stores_object(datadog_emulator):
    datadog_emulator.add_fault("drop_after_commit", method="POST")
    with pytest.raises(OSError):
        datadog_emulator.api("POST", "/api/v1/monitor", monitor_body())
    assert len(datadog_emulator.objects("monitor")) == 1
    assert datadog_emulator.requests()[0]["fault"] == "drop_after_commit"


def test_ui_edit_through_admin(datadog_emulator):
    monitor = create(datadog_emulator)
    datadog_emulator.patch_object("monitor", monitor["id"], {"options": {"thresholds": {"warning": 450.0}}})
    stored = datadog_emulator.api("GET", "/api/v1/monitor/%d" % monitor["id"])[1]
    assert stored["options"]["thresholds"] == {"critical": 800.0, "warning": 450.0}
    assert datadog_emulator.write_requests() == [datadog_emulator.requests()[0]]
