"""datadog_downtime against the Datadog API emulator: lifecycle, identity, schedules, invalid inputs."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from module_runner import connection, run_module, run_tasks, wait_for_faulted_requests

MODULE = "ddlab.observability.datadog_downtime"
MONITOR_NAME = "my_metric is high on web-1"
TIMEZONE = "America/New_York"
WEEKNIGHTS = {"name": "my_metric weeknights", "message": "Quiet hours on weeknights",
              "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "19:00", "end": "09:00"}]}
WEEKEND = {"name": "my_metric weekend", "message": "Quiet hours all weekend",
           "windows": [{"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}]}


def create_monitor(emulator, name=MONITOR_NAME):
    status, body, _headers = emulator.api("POST", "/api/v1/monitor", {
        "name": name, "type": "metric alert", "query": "avg(last_5m):avg:my_metric{host:web-1} > 800",
        "message": "my_metric is high", "options": {"thresholds": {"critical": 800, "warning": 500}}})
    assert status == 200, body
    return body["id"]


def downtime_tasks(emulator, state="present", timezone=TIMEZONE):
    tasks = []
    for downtime in (WEEKNIGHTS, WEEKEND):
        arguments = dict(connection(emulator), name=downtime["name"], state=state)
        if state == "present":
            arguments.update(monitor=MONITOR_NAME, notification_message=downtime["message"], timezone=timezone,
                             windows=downtime["windows"])
        tasks.append({"name": downtime["name"], MODULE: arguments})
    return tasks


def run_ok(run_playbook, tasks, **options):
    results = run_tasks(run_playbook, tasks, **options)
    for result in results:
        assert not result.get("failed"), result.get("msg")
    assert len(results) == len(tasks)
    return results


def stored_downtimes(emulator):
    """Return the stored downtimes that are not cancelled, by identity name."""
    found = {}
    for item in emulator.objects("downtime"):
        attributes = item["attributes"]
        if attributes.get("canceled") is None:
            found[attributes["message"].rsplit("ansible-downtime-id: ", 1)[1]] = item
    return found


def test_downtime_lifecycle(datadog_emulator, run_playbook):
    monitor_id = create_monitor(datadog_emulator)
    datadog_emulator.clear_requests()
    before_run = datetime.datetime.now(datetime.timezone.utc)

    predicted_create = run_ok(run_playbook, downtime_tasks(datadog_emulator), check=True)
    assert [result["changed"] for result in predicted_create] == [True, True]
    assert datadog_emulator.write_requests() == []
    created = run_ok(run_playbook, downtime_tasks(datadog_emulator))
    assert [result["changed"] for result in created] == [True, True]
    assert [result["downtime"] for result in created] == [result["downtime"] for result in predicted_create]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["POST", "POST"]
    stored = stored_downtimes(datadog_emulator)
    assert sorted(stored) == ["my_metric weekend", "my_metric weeknights"]
    for item in stored.values():
        assert item["attributes"]["monitor_identifier"] == {"monitor_id": monitor_id}
        assert item["attributes"]["display_timezone"] == TIMEZONE

    # The weeknight window: 14 hours from 19:00, starting Monday to Friday, in the configured timezone.
    schedule = stored["my_metric weeknights"]["attributes"]["schedule"]
    assert schedule["timezone"] == TIMEZONE
    (recurrence,) = schedule["recurrences"]
    assert recurrence["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR"
    assert recurrence["duration"] == "14h"
    start = datetime.datetime.fromisoformat(recurrence["start"]).replace(tzinfo=ZoneInfo(TIMEZONE))
    assert (start.hour, start.minute) == (19, 0)
    assert start.weekday() < 5
    assert start >= before_run - datetime.timedelta(minutes=1)
    answer = datadog_emulator.api("GET", "/api/v2/downtime/%s" % stored["my_metric weeknights"]["id"])[1]
    current = answer["data"]["attributes"]["schedule"]["current_downtime"]
    length = (datetime.datetime.fromisoformat(current["end"]) - datetime.datetime.fromisoformat(current["start"]))
    assert length == datetime.timedelta(hours=14)
    weekend = stored["my_metric weekend"]["attributes"]["schedule"]["recurrences"][0]
    assert weekend["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU"
    assert weekend["duration"] == "1d"
    assert weekend["start"].endswith("T00:00")

    datadog_emulator.clear_requests()
    again = run_ok(run_playbook, downtime_tasks(datadog_emulator))
    assert [result["changed"] for result in again] == [False, False]
    assert datadog_emulator.write_requests() == []

    # An edit in the UI: the weeknight window shortened to 10 hours.
    weeknights_id = stored["my_metric weeknights"]["id"]
    edited = dict(recurrence, duration="10h")
    datadog_emulator.patch_object("downtime", weeknights_id,
                                  {"attributes": {"schedule": {"recurrences": [edited]}}})
    datadog_emulator.clear_requests()
    predicted = run_ok(run_playbook, downtime_tasks(datadog_emulator), check=True, diff=True)
    assert [result["changed"] for result in predicted] == [True, False]
    assert predicted[0]["diff"]["before"]["schedule"]["recurrences"][0]["duration"] == "10h"
    assert predicted[0]["diff"]["after"]["schedule"]["recurrences"][0]["duration"] == "14h"
    assert datadog_emulator.write_requests() == []

    restored = run_ok(run_playbook, downtime_tasks(datadog_emulator))
    assert [result["changed"] for result in restored] == [True, False]
    assert [result["downtime"] for result in restored] == [result["downtime"] for result in predicted]
    writes = datadog_emulator.write_requests()
    assert [(r["method"], r["path"]) for r in writes] == [("PATCH", "/api/v2/downtime/%s" % weeknights_id)]
    assert list(writes[0]["body"]["data"]["attributes"]) == ["schedule"]
    assert stored_downtimes(datadog_emulator)["my_metric weeknights"]["attributes"]["schedule"][
        "recurrences"][0]["duration"] == "14h"

    datadog_emulator.clear_requests()
    assert [r["changed"] for r in run_ok(run_playbook, downtime_tasks(datadog_emulator), check=True)] == [False, False]
    assert datadog_emulator.write_requests() == []

    absent = downtime_tasks(datadog_emulator, state="absent")
    assert [r["changed"] for r in run_ok(run_playbook, absent, check=True)] == [True, True]
    assert datadog_emulator.write_requests() == []
    assert [r["changed"] for r in run_ok(run_playbook, absent)] == [True, True]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["DELETE", "DELETE"]
    statuses = [item["attributes"]["status"] for item in datadog_emulator.objects("downtime")]
    assert statuses == ["canceled", "canceled"]

    datadog_emulator.clear_requests()
    assert [r["changed"] for r in run_ok(run_playbook, absent)] == [False, False]
    assert datadog_emulator.write_requests() == []


def test_found_again_after_id_change(datadog_emulator, run_playbook):
    create_monitor(datadog_emulator)
    run_ok(run_playbook, downtime_tasks(datadog_emulator)[:1])
    (old,) = datadog_emulator.objects("downtime")
    new_id = "0b5c3f4e-0000-11ef-8000-000000000001"
    datadog_emulator.put_object("downtime", new_id, dict(old, id=new_id))
    datadog_emulator.call("DELETE", "/_emulator/objects/downtime/%s" % old["id"])
    datadog_emulator.clear_requests()

    result = run_ok(run_playbook, downtime_tasks(datadog_emulator)[:1])[0]
    assert result["changed"] is False
    assert result["id"] == new_id
    assert datadog_emulator.write_requests() == []


def test_cancelled_downtime_is_not_present(datadog_emulator, run_playbook):
    create_monitor(datadog_emulator)
    first = run_ok(run_playbook, downtime_tasks(datadog_emulator)[:1])[0]
    status, _body, _headers = datadog_emulator.api("DELETE", "/api/v2/downtime/%s" % first["id"])
    assert status == 204
    datadog_emulator.clear_requests()

    second = run_ok(run_playbook, downtime_tasks(datadog_emulator)[:1])[0]
    assert second["changed"] is True
    assert second["id"] != first["id"]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["POST"]


def test_duplicate_identity_fails_with_ids(datadog_emulator, tmp_path):
    create_monitor(datadog_emulator)
    body = {"data": {"type": "downtime", "attributes": {
        "scope": "*", "monitor_identifier": {"monitor_tags": ["*"]},
        "message": "ansible-downtime-id: my_metric weeknights"}}}
    ids = [datadog_emulator.api("POST", "/api/v2/downtime", body)[1]["data"]["id"] for _copy in range(2)]
    datadog_emulator.clear_requests()
    result = run_module(tmp_path, "datadog_downtime", dict(connection(datadog_emulator), name="my_metric weeknights",
                                                           monitor=MONITOR_NAME, windows=WEEKNIGHTS["windows"]))
    assert result["failed"] is True
    assert sorted(result["ids"]) == sorted(ids)
    assert datadog_emulator.write_requests() == []


def test_check_mode_with_monitor_not_created_yet(datadog_emulator, tmp_path):
    result = run_module(tmp_path, "datadog_downtime", dict(connection(datadog_emulator), name="my_metric weeknights",
                                                           monitor=MONITOR_NAME, windows=WEEKNIGHTS["windows"]),
                        check_mode=True)
    assert result["changed"] is True
    assert any(MONITOR_NAME in str(warning) for warning in result["warnings"])
    assert datadog_emulator.write_requests() == []


WINDOW = {"days": ["mon"], "start": "19:00", "end": "09:00"}

# (case, module arguments without the connection, words the failure message must contain)
INVALID_INPUTS = [
    ("unknown timezone", {"timezone": "Mars/Olympus", "windows": [WINDOW]}, "timezone"),
    ("unknown day", {"windows": [dict(WINDOW, days=["funday"])]}, "funday"),
    ("hour 25", {"windows": [dict(WINDOW, start="25:00")]}, "25:00"),
    ("minute 61", {"windows": [dict(WINDOW, end="09:61")]}, "09:61"),
    ("zero duration", {"windows": [{"days": ["mon"], "start": "19:00", "duration": "0h"}]}, "zero"),
    ("duration without unit", {"windows": [{"days": ["mon"], "start": "19:00", "duration": "14"}]}, "14h"),
    ("end equals start", {"windows": [dict(WINDOW, end="19:00")]}, "24:00"),
    ("end and duration", {"windows": [dict(WINDOW, duration="1h")]}, "exactly one"),
    ("rrule with dtstart", {"windows": [{"rrule": "FREQ=DAILY;DTSTART=20260101T000000Z", "duration": "1h"}]},
     "DTSTART"),
    ("rrule without freq", {"windows": [{"rrule": "BYDAY=MO", "duration": "1h"}]}, "FREQ"),
    ("rrule with days", {"windows": [{"rrule": "FREQ=DAILY", "days": ["mon"], "duration": "1h"}]}, "rrule"),
    ("window without start", {"windows": [{"days": ["mon"], "end": "09:00"}]}, "start"),
    ("scope without key", {"scope": "BAD_SCOPE", "windows": [WINDOW]}, "scope"),
    ("windows and one-time end", {"windows": [WINDOW], "end": "2027-01-01T00:00"}, "mutually exclusive"),
    ("one-time end before start", {"start": "2027-01-02T00:00", "end": "2027-01-01T00:00"}, "end"),
    ("one-time start not a date", {"start": "next friday"}, "2026-12-24T18:00"),
    ("no monitor", {"monitor": None, "windows": [WINDOW]}, "monitor"),
    ("two monitor options", {"monitor_id": 1, "windows": [WINDOW]}, "mutually exclusive"),
    ("unknown end state", {"notify_end_states": ["ok"], "windows": [WINDOW]}, "notify_end_states"),
    ("name on two lines", {"name": "a\nb", "windows": [WINDOW]}, "name"),
    ("empty windows", {"windows": []}, "windows: is empty; give at least one window, or start/end"),
    ("empty timezone", {"timezone": "", "windows": [WINDOW]}, "timezone: is empty"),
    ("control node timezone", {"timezone": "localtime", "windows": [WINDOW]}, "'localtime'"),
    ("posix timezone", {"timezone": "posix/Europe/Berlin", "windows": [WINDOW]}, "'posix/Europe/Berlin'"),
    ("Factory timezone", {"timezone": "Factory", "windows": [WINDOW]}, "'Factory'"),
    ("empty scope", {"scope": "", "windows": [WINDOW]}, "scope: is empty"),
    ("empty id", {"id": "", "windows": [WINDOW]}, "id is empty"),
    ("rrule byday bad ordinal", {"windows": [{"rrule": "FREQ=MONTHLY;BYDAY=XMO", "duration": "1h"}]}, "'XMO'"),
    ("rrule count not a number", {"windows": [{"rrule": "FREQ=DAILY;COUNT=abc", "duration": "1h"}]}, "COUNT"),
    ("rrule interval zero", {"windows": [{"rrule": "FREQ=DAILY;INTERVAL=0", "duration": "1h"}]}, "INTERVAL=0"),
    ("empty api_key", {"api_key": "", "windows": [WINDOW]}, "api_key is empty: set api_key or DD_API_KEY"),
    ("empty app_key", {"app_key": "", "windows": [WINDOW]}, "app_key is empty: set app_key or DD_APP_KEY"),
    ("api_url not a URL", {"api_url": "not a url", "windows": [WINDOW]}, "'not a url' is not a valid URL"),
    ("api_url with a path", {"api_url": "http://127.0.0.1:9/api/v1", "windows": [WINDOW]}, "base URL"),
]


@pytest.mark.parametrize("arguments,words", [case[1:] for case in INVALID_INPUTS], ids=[case[0] for case in INVALID_INPUTS])
def test_invalid_input_makes_no_call(datadog_emulator, tmp_path, arguments, words):
    full = dict(connection(datadog_emulator), name="invalid input", monitor=MONITOR_NAME)
    full.update(arguments)
    full = {key: value for key, value in full.items() if value is not None}
    result = run_module(tmp_path, "datadog_downtime", full)
    assert result.get("failed") is True
    assert words in result["msg"]
    assert datadog_emulator.requests() == []


# Failures that need a read first: still no write.
def test_unknown_monitor_fails_without_write(datadog_emulator, tmp_path):
    result = run_module(tmp_path, "datadog_downtime", dict(connection(datadog_emulator), name="x",
                                                           monitor="no such monitor", windows=[WINDOW]))
    assert result["failed"] is True
    assert "no such monitor" in result["msg"]
    assert datadog_emulator.write_requests() == []


def test_raw_rrule_start_in_past_fails_without_write(datadog_emulator, tmp_path):
    create_monitor(datadog_emulator)
    datadog_emulator.clear_requests()
    result = run_module(tmp_path, "datadog_downtime", dict(connection(datadog_emulator), name="x",
                                                           monitor=MONITOR_NAME,
                                                           windows=[{"rrule": "FREQ=DAILY", "duration": "1h",
                                                                     "start": "2020-01-01T00:00"}]))
    assert result["failed"] is True
    assert "in the past" in result["msg"]
    assert datadog_emulator.write_requests() == []


def test_raw_rrule_start_in_past_fails_in_check_mode(datadog_emulator, tmp_path):
    create_monitor(datadog_emulator)
    datadog_emulator.clear_requests()
    result = run_module(tmp_path, "datadog_downtime", dict(connection(datadog_emulator), name="x",
                                                           monitor=MONITOR_NAME,
                                                           windows=[{"rrule": "FREQ=DAILY", "duration": "1h",
                                                                     "start": "2020-01-01T00:00"}]),
                        check_mode=True)
    assert result.get("failed") is True, result
    assert "2020-01-01T00:00 is in the past" in result["msg"]
    assert datadog_emulator.write_requests() == []


def test_dropped_create_makes_one_downtime(datadog_emulator, tmp_path):
    create_monitor(datadog_emulator)
    datadog_emulator.clear_requests()
    datadog_emulator.add_fault("drop_after_commit", method="POST", path="^/api/v2/downtime$")
    result = run_module(tmp_path, "datadog_downtime", dict(connection(datadog_emulator), name="my_metric weeknights",
                                                           monitor=MONITOR_NAME, windows=WEEKNIGHTS["windows"]))
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    (stored,) = datadog_emulator.objects("downtime")
    assert result["id"] == stored["id"]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["POST"]


def test_slow_create_makes_one_downtime(datadog_emulator, tmp_path):
    create_monitor(datadog_emulator)
    datadog_emulator.clear_requests()
    datadog_emulator.add_fault("delay", method="POST", path="^/api/v2/downtime$", seconds=3)
    result = run_module(tmp_path, "datadog_downtime", dict(connection(datadog_emulator), name="my_metric weeknights",
                                                           monitor=MONITOR_NAME, windows=WEEKNIGHTS["windows"],
                                                           timeout=1))
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is True
    wait_for_faulted_requests(datadog_emulator, "delay")
    (stored,) = datadog_emulator.objects("downtime")
    assert result["id"] == stored["id"]
    assert [r["method"] for r in datadog_emulator.write_requests()] == ["POST"]


def test_several_windows_and_raw_rrule_no_op(datadog_emulator, tmp_path):
    create_monitor(datadog_emulator)
    windows = [{"days": ["weekend"], "start": "00:00", "duration": "24h"},
               {"rrule": "FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO", "duration": "90m"}]
    arguments = dict(connection(datadog_emulator), name="ops windows", monitor_tags=["team:ops"], scope="env:prod",
                     timezone="Europe/Berlin", windows=windows)
    first = run_module(tmp_path, "datadog_downtime", arguments)
    assert first["changed"] is True
    (stored,) = datadog_emulator.objects("downtime")
    recurrences = stored["attributes"]["schedule"]["recurrences"]
    assert [r["rrule"] for r in recurrences] == ["FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU",
                                                 "FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO"]
    assert [r["duration"] for r in recurrences] == ["1d", "90m"]
    # Datadog fills in the start of the raw rule; a later run does not count that as a difference.
    assert recurrences[1]["start"]
    datadog_emulator.clear_requests()
    second = run_module(tmp_path, "datadog_downtime", arguments)
    assert second["changed"] is False
    assert datadog_emulator.write_requests() == []


def test_one_time_downtime_no_op(datadog_emulator, tmp_path):
    monitor_id = create_monitor(datadog_emulator)
    year = datetime.date.today().year + 1
    arguments = dict(connection(datadog_emulator), name="web-1 disk swap", monitor_id=monitor_id, scope="host:web-1",
                     timezone="America/New_York", start="%d-07-01T18:00" % year, end="%d-07-01T22:00" % year)
    first = run_module(tmp_path, "datadog_downtime", arguments)
    assert first["changed"] is True
    (stored,) = datadog_emulator.objects("downtime")
    schedule = stored["attributes"]["schedule"]
    start = datetime.datetime.fromisoformat(schedule["start"])
    end = datetime.datetime.fromisoformat(schedule["end"])
    assert start == datetime.datetime(year, 7, 1, 18, 0, tzinfo=ZoneInfo("America/New_York"))
    assert end - start == datetime.timedelta(hours=4)
    datadog_emulator.clear_requests()
    second = run_module(tmp_path, "datadog_downtime", arguments)
    assert second["changed"] is False
    assert datadog_emulator.write_requests() == []


# The emulator refuses an invalid rule before storing it, as Datadog does, so the list stays readable.
@pytest.mark.parametrize("rrule", ["FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;COUNT=abc", "FREQ=MONTHLY;BYDAY=XMO",
                                   "FREQ=MONTHLY;BYMONTHDAY=40"])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_emulator_rejects_invalid_rrule(datadog_emulator, method, rrule):
    monitor_id = create_monitor(datadog_emulator)
    recurrence = {"rrule": "FREQ=DAILY", "duration": "1h"}
    body = {"data": {"type": "downtime", "attributes": {
        "scope": "*", "monitor_identifier": {"monitor_id": monitor_id},
        "schedule": {"timezone": "UTC", "recurrences": [recurrence]}}}}
    status, created, _headers = datadog_emulator.api("POST", "/api/v2/downtime", body)
    assert status == 200, created
    invalid = {"timezone": "UTC", "recurrences": [dict(recurrence, rrule=rrule)]}
    if method == "POST":
        body["data"]["attributes"]["schedule"] = invalid
        status, answer, _headers = datadog_emulator.api("POST", "/api/v2/downtime", body)
    else:
        downtime_id = created["data"]["id"]
        status, answer, _headers = datadog_emulator.api("PATCH", "/api/v2/downtime/%s" % downtime_id, {
            "data": {"type": "downtime", "id": downtime_id, "attributes": {"schedule": invalid}}})
    assert status == 400, answer
    assert "Invalid rrule" in answer["errors"][0]
    status, listed, _headers = datadog_emulator.api("GET", "/api/v2/downtime")
    assert status == 200, listed
    (stored,) = listed["data"]
    assert stored["attributes"]["schedule"]["recurrences"][0]["rrule"] == "FREQ=DAILY"
