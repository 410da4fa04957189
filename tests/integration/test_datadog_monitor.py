"""datadog_monitor and the datadog_objects role through ansible-playbook, against the API emulator."""

import json
import os

import pytest

from module_runner import wait_for_faulted_requests
from playbook_runner import REPO_ROOT, emulator_vars

MESSAGE = (
    "{{#is_alert}}ALERT: my_metric is {{value}} on {{host.ip}}{{/is_alert}}\n"
    "{{#is_warning}}WARNING: my_metric is {{value}} on {{host.ip}}{{/is_warning}}\n"
    "{{#is_no_data}}NO DATA for 10 minutes{{/is_no_data}} @ops@example.com"
)

MONITOR_PLAYBOOK = """
- name: Monitor test
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Manage the monitor
      ddlab.observability.datadog_monitor:
        state: "{{ monitor_state | default('present') }}"
        name: integration monitor
        type: metric alert
        query: avg(last_5m):avg:my_metric{host:ddlab-local} by {host} > 800
        notification_message: !unsafe "%s"
        tags: [team:ops, metric:my_metric]
        thresholds:
          critical: 800
          warning: 500
        notify_no_data: true
        no_data_timeframe: 10
        api_url: "{{ datadog_api_url }}"
        api_key: "{{ datadog_api_key }}"
        app_key: "{{ datadog_app_key }}"
        timeout: "{{ api_timeout | default(30) }}"
""" % MESSAGE.replace("\n", "\\n")

TASK = "Manage the monitor"


def writes(emulator):
    return [(entry["method"], entry["path"]) for entry in emulator.write_requests()]


def run_monitor(run_playbook, emulator, check=False, diff=False, **extra):
    variables = emulator_vars(emulator)
    variables.update(extra)
    return run_playbook(MONITOR_PLAYBOOK, extra_vars=variables, check=check, diff=diff)


def test_monitor_lifecycle(datadog_emulator, run_playbook):
    created = run_monitor(run_playbook, datadog_emulator, diff=True)
    assert created.rc == 0, created.stdout
    result = created.task(TASK)
    assert result["changed"] is True
    assert writes(datadog_emulator) == [("POST", "/api/v1/monitor")]
    monitors = datadog_emulator.objects("monitor")
    assert len(monitors) == 1
    monitor_id = monitors[0]["id"]
    assert result["id"] == monitor_id
    assert result["link"] == "%s/monitors/%d" % (datadog_emulator.url, monitor_id)
    assert result["monitor"]["options"]["thresholds"] == {"critical": 800, "warning": 500}
    assert monitors[0]["message"] == MESSAGE

    datadog_emulator.clear_requests()
    rerun = run_monitor(run_playbook, datadog_emulator)
    assert rerun.rc == 0
    assert rerun.task(TASK)["changed"] is False
    assert writes(datadog_emulator) == []

    datadog_emulator.patch_object("monitor", monitor_id, {"options": {"thresholds": {"warning": 600.0}},
                                                          "name": "integration monitor"})
    datadog_emulator.clear_requests()
    checked = run_monitor(run_playbook, datadog_emulator, check=True, diff=True)
    assert checked.rc == 0
    check_result = checked.task(TASK)
    assert check_result["changed"] is True
    assert check_result["diff"]["before"]["options"]["thresholds"]["warning"] == 600
    assert check_result["diff"]["after"]["options"]["thresholds"]["warning"] == 500
    assert check_result["changed_paths"] == ["options.thresholds.warning"]
    assert writes(datadog_emulator) == []
    assert datadog_emulator.get_object("monitor", monitor_id)["options"]["thresholds"]["warning"] == 600.0

    restored = run_monitor(run_playbook, datadog_emulator, diff=True)
    assert restored.task(TASK)["changed"] is True
    assert restored.task(TASK)["diff"] == check_result["diff"]
    assert writes(datadog_emulator) == [("PUT", "/api/v1/monitor/%d" % monitor_id)]
    assert datadog_emulator.get_object("monitor", monitor_id)["options"]["thresholds"]["warning"] == 500.0

    datadog_emulator.clear_requests()
    removed = run_monitor(run_playbook, datadog_emulator, monitor_state="absent")
    assert removed.task(TASK)["changed"] is True
    assert writes(datadog_emulator) == [("DELETE", "/api/v1/monitor/%d" % monitor_id)]
    assert datadog_emulator.objects("monitor") == []

    datadog_emulator.clear_requests()
    again = run_monitor(run_playbook, datadog_emulator, monitor_state="absent")
    assert again.task(TASK)["changed"] is False
    assert writes(datadog_emulator) == []


def test_check_mode_create_writes_nothing(datadog_emulator, run_playbook):
    checked = run_monitor(run_playbook, datadog_emulator, check=True, diff=True)
    assert checked.task(TASK)["changed"] is True
    assert writes(datadog_emulator) == []
    real = run_monitor(run_playbook, datadog_emulator, diff=True)
    assert real.task(TASK)["diff"] == checked.task(TASK)["diff"]


def test_rate_limit_then_success(datadog_emulator, run_playbook):
    datadog_emulator.add_fault("status", method="POST", path=r"^/api/v1/monitor$", status=429,
                               headers={"X-RateLimit-Reset": "1", "X-RateLimit-Limit": "100",
                                        "X-RateLimit-Remaining": "0", "X-RateLimit-Period": "10"},
                               errors=["Rate limit exceeded"])
    result = run_monitor(run_playbook, datadog_emulator)
    assert result.rc == 0, result.stdout
    assert [entry["status"] for entry in datadog_emulator.write_requests()] == [429, 200]
    assert len(datadog_emulator.objects("monitor")) == 1


def test_server_error_burst(datadog_emulator, run_playbook):
    datadog_emulator.add_fault("status", method="GET", path=r"^/api/v1/monitor$", status=500, remaining=2)
    datadog_emulator.add_fault("status", method="POST", path=r"^/api/v1/monitor$", status=503, remaining=2)
    result = run_monitor(run_playbook, datadog_emulator)
    assert result.rc == 0, result.stdout
    assert [entry["status"] for entry in datadog_emulator.write_requests()] == [503, 503, 200]
    assert len(datadog_emulator.objects("monitor")) == 1


def test_commit_then_drop_creates_one(datadog_emulator, run_playbook):
    datadog_emulator.add_fault("drop_after_commit", method="POST", path=r"^/api/v1/monitor$")
    result = run_monitor(run_playbook, datadog_emulator)
    assert result.rc == 0, result.stdout
    assert result.task(TASK)["changed"] is True
    assert len(datadog_emulator.objects("monitor")) == 1
    assert writes(datadog_emulator) == [("POST", "/api/v1/monitor")]
    assert result.task(TASK)["id"] == datadog_emulator.objects("monitor")[0]["id"]


# The POST commits 3 s after it arrives, and the module stops waiting for the response after 1 s. A
# second POST then would make a duplicate, so the module polls the list until the first one appears.
def test_slow_create_is_not_sent_twice(datadog_emulator, run_playbook):
    datadog_emulator.add_fault("delay", method="POST", path=r"^/api/v1/monitor$", seconds=3)
    result = run_monitor(run_playbook, datadog_emulator, api_timeout=1)
    assert result.rc == 0, result.stdout
    assert result.task(TASK)["changed"] is True
    wait_for_faulted_requests(datadog_emulator, "delay")
    assert writes(datadog_emulator) == [("POST", "/api/v1/monitor")]
    (monitor,) = datadog_emulator.objects("monitor")
    assert result.task(TASK)["id"] == monitor["id"]


def test_update_dropped_after_commit_is_resent(datadog_emulator, run_playbook):
    run_monitor(run_playbook, datadog_emulator)
    monitor = datadog_emulator.objects("monitor")[0]
    datadog_emulator.patch_object("monitor", monitor["id"], {"options": {"thresholds": {"warning": 600.0}}})
    datadog_emulator.clear_requests()
    datadog_emulator.add_fault("drop_after_commit", method="PUT")
    result = run_monitor(run_playbook, datadog_emulator)
    assert result.rc == 0, result.stdout
    assert result.task(TASK)["changed"] is True
    assert writes(datadog_emulator) == [("PUT", "/api/v1/monitor/%d" % monitor["id"])] * 2
    assert datadog_emulator.get_object("monitor", monitor["id"])["options"]["thresholds"]["warning"] == 500.0


def test_slow_read_times_out_and_retries(datadog_emulator, run_playbook):
    datadog_emulator.add_fault("delay", method="GET", path=r"^/api/v1/monitor$", seconds=2)
    result = run_monitor(run_playbook, datadog_emulator, api_timeout=1)
    assert result.rc == 0, result.stdout
    assert len(datadog_emulator.objects("monitor")) == 1
    # The timed-out GET is answered and logged after the module has finished; wait so that its log
    # entry does not land in the next test's request log.
    wait_for_faulted_requests(datadog_emulator, "delay")


def test_server_errors_exhaust_into_failure(datadog_emulator, run_playbook):
    datadog_emulator.add_fault("status", method="PUT", status=400, errors=["Something the API rejects"])
    run_monitor(run_playbook, datadog_emulator)
    monitor = datadog_emulator.objects("monitor")[0]
    datadog_emulator.patch_object("monitor", monitor["id"], {"tags": ["ui:edit"]})
    result = run_monitor(run_playbook, datadog_emulator)
    failed = result.task(TASK)
    assert failed["failed"] is True
    assert failed["status"] == 400
    assert failed["errors"] == ["Something the API rejects"]
    assert failed["path"] == "/api/v1/monitor/%d" % monitor["id"]
    assert "HTTP 400" in failed["msg"]


def test_duplicate_names_fail_with_ids(datadog_emulator, run_playbook):
    ids = []
    for attempt in range(2):
        status, body = datadog_emulator.api("POST", "/api/v1/monitor", {
            "name": "integration monitor", "type": "metric alert",
            "query": "avg(last_5m):avg:my_metric{*} > 800", "options": {"thresholds": {"critical": 800}}})[:2]
        assert status == 200, (attempt, body)
        ids.append(body["id"])
    datadog_emulator.clear_requests()
    result = run_monitor(run_playbook, datadog_emulator)
    failed = result.task(TASK)
    assert failed["failed"] is True
    for monitor_id in ids:
        assert str(monitor_id) in failed["msg"]
    assert writes(datadog_emulator) == []


@pytest.mark.parametrize("key_var, words", [
    ("datadog_api_key", ["API key", "api_url"]),
    ("datadog_app_key", ["HTTP 403", "app_key"]),
])
def test_rejected_key_fails_without_leaking(datadog_emulator, run_playbook, key_var, words):
    secret = "f" * 32 if key_var == "datadog_api_key" else "e" * 40
    variables = emulator_vars(datadog_emulator)
    variables[key_var] = secret
    result = run_playbook(MONITOR_PLAYBOOK, extra_vars=variables, args=["-vvv"])
    failed = result.task(TASK)
    assert failed["failed"] is True
    for word in words:
        assert word in failed["msg"]
    assert secret not in result.stdout
    assert secret not in result.stderr
    assert datadog_emulator.api_key not in result.stdout
    assert writes(datadog_emulator) == []


UNSAFE_PLAYBOOK = """
- name: Message templating
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Message without unsafe
      ddlab.observability.datadog_monitor:
        name: templated monitor
        type: metric alert
        query: avg(last_5m):avg:my_metric{*} > 800
        notification_message: "{{#is_alert}}value {{value}}{{/is_alert}}"
        thresholds: {critical: 800}
        api_url: "{{ datadog_api_url }}"
        api_key: "{{ datadog_api_key }}"
        app_key: "{{ datadog_app_key }}"
      ignore_errors: true
"""


def test_message_without_unsafe_fails_before_any_call(datadog_emulator, run_playbook):
    result = run_playbook(UNSAFE_PLAYBOOK, extra_vars=emulator_vars(datadog_emulator))
    assert result.task("Message without unsafe")["failed"] is True
    assert datadog_emulator.requests() == []


def invalid_task(task_name, **arguments):
    arguments.setdefault("name", "invalid monitor")
    arguments.setdefault("type", "metric alert")
    arguments.setdefault("query", "avg(last_5m):avg:my_metric{*} > 800")
    arguments.setdefault("thresholds", {"critical": 800, "warning": 500})
    for key in ("api_url", "api_key", "app_key"):
        arguments.setdefault(key, "{{ datadog_%s }}" % key)
    arguments = {key: value for key, value in arguments.items() if value is not None}
    return {"name": task_name, "ddlab.observability.datadog_monitor": arguments, "ignore_errors": True}


# task name, module arguments, words the error message must contain
INVALID_INPUTS = [
    ("critical differs from query", dict(thresholds={"critical": 700}), ["thresholds.critical is 700", "800"]),
    ("critical missing", dict(thresholds={"warning": 500}), ["thresholds.critical is missing"]),
    ("query without comparison", dict(query="avg(last_5m):avg:my_metric{*}"), ["no comparison"]),
    ("warning above critical", dict(thresholds={"critical": 800, "warning": 900}), ["thresholds.warning is 900"]),
    ("warning below critical with less-than", dict(query="avg(last_5m):avg:my_metric{*} < 100",
                                                   thresholds={"critical": 100, "warning": 50}),
     ["thresholds.warning is 50", "above"]),
    ("critical recovery above critical", dict(thresholds={"critical": 800, "critical_recovery": 850}),
     ["thresholds.critical_recovery is 850"]),
    ("warning recovery above warning", dict(thresholds={"critical": 800, "warning": 500, "warning_recovery": 550}),
     ["thresholds.warning_recovery is 550"]),
    ("anomalies without windows", dict(query="avg(last_4h):anomalies(avg:my_metric{*}, 'basic', 2) >= 1",
                                       thresholds={"critical": 1}), ["threshold_windows is required"]),
    ("renotify occurrences without interval", dict(renotify_occurrences=2), ["renotify_occurrences"]),
    ("renotify statuses without interval", dict(renotify_statuses=["alert"]), ["renotify_statuses"]),
    ("unknown type", dict(type="metrc alert"), ["type", "metric alert"]),
    ("unknown renotify status", dict(renotify_interval=10, renotify_statuses=["critical"]),
     ["renotify_statuses", "alert"]),
    ("threshold not a number", dict(thresholds={"critical": "high"}), ["critical", "float"]),
    ("unknown option", dict(notify_nodata=True), ["notify_nodata"]),
    ("no name and no id", dict(name=""), ["name is empty"]),
    ("missing query", dict(query=None), ["query"]),
    ("no data timeframe too short", dict(notify_no_data=True, no_data_timeframe=5), ["no_data_timeframe is 5"]),
    ("no data timeframe without notify", dict(no_data_timeframe=10), ["notify_no_data"]),
    ("priority out of range", dict(priority=9), ["priority is 9"]),
    ("comma separated tags", dict(tags=["great:success, datadogisthebest"]), ["contains a comma"]),
    ("negative evaluation delay", dict(evaluation_delay=-1), ["evaluation_delay is -1"]),
    ("bad threshold window", dict(query="avg(last_4h):anomalies(avg:my_metric{*}, 'basic', 2) >= 1",
                                  thresholds={"critical": 1},
                                  threshold_windows={"trigger_window": "15m", "recovery_window": "last_15m"}),
     ["threshold_windows.trigger_window"]),
    ("unknown state", dict(state="deleted"), ["state", "absent"]),
    ("empty api key", dict(api_key=""), ["api_key is empty: set api_key or DD_API_KEY"]),
    ("empty app key", dict(app_key=""), ["app_key is empty: set app_key or DD_APP_KEY"]),
    ("api_url not a URL", dict(api_url="not a url"), ["api_url 'not a url' is not a valid URL", "scheme://host"]),
    ("api_url with API path", dict(api_url="http://127.0.0.1:9/api/v1"), ["/api/v1", "base URL"]),
]


def test_invalid_inputs_fail_before_any_call(datadog_emulator, run_playbook):
    assert len(INVALID_INPUTS) >= 20
    tasks = [invalid_task(case[0], **case[1]) for case in INVALID_INPUTS]
    playbook = json.dumps([{"name": "Invalid inputs", "hosts": "localhost", "connection": "local",
                            "gather_facts": False, "tasks": tasks}])
    result = run_playbook(playbook, extra_vars=emulator_vars(datadog_emulator))
    for name, arguments, words in INVALID_INPUTS:
        outcome = result.task(name)
        assert outcome.get("failed") is True, (name, arguments, outcome)
        for word in words:
            assert word in outcome["msg"], (name, outcome["msg"])
    assert datadog_emulator.requests() == []


def test_unknown_id_fails_without_writes(datadog_emulator, run_playbook):
    playbook = json.dumps([{"name": "Unknown id", "hosts": "localhost", "connection": "local",
                            "gather_facts": False, "tasks": [invalid_task("Unknown id", id=123)]}])
    result = run_playbook(playbook, extra_vars=emulator_vars(datadog_emulator))
    outcome = result.task("Unknown id")
    assert outcome["failed"] is True
    assert "Monitor id 123 was not found" in outcome["msg"]
    assert writes(datadog_emulator) == []


def test_seed_playbook_creates_once(datadog_emulator, run_playbook):
    playbook = os.path.join(REPO_ROOT, "playbooks", "datadog_objects.yml")
    first = run_playbook(playbook, extra_vars=emulator_vars(datadog_emulator))
    assert first.rc == 0, first.stdout
    monitors = datadog_emulator.objects("monitor")
    assert len(monitors) == 1
    monitor = monitors[0]
    assert monitor["options"]["thresholds"] == {"critical": 800.0, "warning": 500.0}
    assert monitor["options"]["notify_no_data"] is True
    assert monitor["options"]["no_data_timeframe"] == 10
    assert monitor["query"].startswith("avg(last_5m):avg:my_metric{host:ddlab-local}")
    for variable in ("{{#is_alert}}", "{{#is_warning}}", "{{#is_no_data}}", "{{value}}", "{{host.ip}}"):
        assert variable in monitor["message"]
    assert monitor["message"].endswith("{{/is_recovery}}\n@ops@example.com")
    assert "\\" not in monitor["message"]

    datadog_emulator.clear_requests()
    second = run_playbook(playbook, extra_vars=emulator_vars(datadog_emulator))
    assert second.rc == 0
    assert second.changed == 0
    assert writes(datadog_emulator) == []

    datadog_emulator.patch_object("monitor", monitor["id"], {"message": "edited in the UI"})
    checked = run_playbook(playbook, extra_vars=emulator_vars(datadog_emulator), check=True, diff=True)
    assert checked.changed >= 1
    assert writes(datadog_emulator) == []
