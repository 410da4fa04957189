# -*- coding: utf-8 -*-
"""Table-driven tests of downtime identity, building and comparison."""

from __future__ import absolute_import, division, print_function

import datetime

import pytest

from ansible_collections.ddlab.observability.plugins.module_utils import downtime as dt
from ansible_collections.ddlab.observability.plugins.module_utils.downtime_schedule import ScheduleError

NOW = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.timezone.utc)
WEEKNIGHTS = {"days": ["weekdays"], "start": "19:00", "end": "09:00"}


def params(**overrides):
    base = {"name": "my_metric weeknights", "notification_message": "Quiet hours", "scope": "*", "timezone": "UTC",
            "windows": [WEEKNIGHTS], "start": None, "end": None, "notify_end_states": None, "notify_end_types": None,
            "mute_first_recovery_notification": False}
    base.update(overrides)
    return base


IDENTITY_CASES = [
    ("Quiet hours", "weeknights", "Quiet hours\n\nansible-downtime-id: weeknights"),
    ("", "weekend", "ansible-downtime-id: weekend"),
    (None, "weekend", "ansible-downtime-id: weekend"),
    ("Line one\nLine two {{host.ip}}\n", "a b", "Line one\nLine two {{host.ip}}\n\nansible-downtime-id: a b"),
]


@pytest.mark.parametrize("message,name,stored", IDENTITY_CASES)
def test_identity_round_trip(message, name, stored):
    assert dt.message_with_identity(message, name) == stored
    assert dt.split_identity(stored) == ((message or "").rstrip("\n"), name)


@pytest.mark.parametrize("message", [None, "", "no marker", "ansible-downtime-id: x\nmore text"])
def test_message_without_identity(message):
    assert dt.split_identity(message)[1] is None


def item(downtime_id, message, status="scheduled", canceled=None):
    return {"id": downtime_id, "type": "downtime",
            "attributes": {"message": message, "status": status, "canceled": canceled}}


def test_find_by_identity_skips_cancelled_and_others():
    downtimes = [
        item("a", "ansible-downtime-id: weeknights"),
        item("b", "ansible-downtime-id: weeknights", status="canceled", canceled="2026-01-01T00:00:00+00:00"),
        item("c", "ansible-downtime-id: weekend"),
        item("d", "text\n\nansible-downtime-id: weeknights", status="active"),
        item("e", None),
    ]
    assert [found["id"] for found in dt.find_by_identity(downtimes, "weeknights")] == ["a", "d"]
    assert dt.find_by_identity(downtimes, "missing") == []


def test_build_desired_weeknights():
    attributes, matchers = dt.build_desired(params(), {"monitor_id": 123}, NOW)
    assert attributes["schedule"]["recurrences"][0]["duration"] == "14h"
    assert attributes["schedule"]["recurrences"][0]["start"] == "2026-12-02T19:00"
    assert attributes["display_timezone"] == "UTC"
    assert attributes["notify_end_states"] == ["alert", "no data", "warn"]
    assert attributes["notify_end_types"] == ["expired"]
    assert attributes["message"].endswith("ansible-downtime-id: my_metric weeknights")
    assert len(matchers) == 1


INVALID_CASES = [
    ("empty name", params(name=""), "name"),
    ("multi-line name", params(name="a\nb"), "name"),
    ("scope without key", params(scope="BAD_SCOPE"), "scope"),
    ("unknown end state", params(notify_end_states=["alert", "ok"]), "notify_end_states"),
    ("unknown end type", params(notify_end_types=["ended"]), "notify_end_types"),
    ("windows and end", params(end="2026-12-24T00:00"), "windows"),
    ("unknown timezone", params(timezone="Europe/Atlantis"), "timezone"),
    ("empty windows", params(windows=[]), "windows"),
    ("empty windows with start", params(windows=[], start="2026-12-24T00:00"), "windows"),
    ("empty timezone", params(timezone=""), "timezone"),
    ("empty scope", params(scope=""), "scope"),
    ("blank scope", params(scope="  "), "scope"),
    ("empty monitor_tags", params(monitor_tags=[]), "monitor_tags"),
    ("control node timezone", params(timezone="localtime"), "timezone"),
    ("posix tree timezone", params(timezone="posix/Europe/Berlin"), "timezone"),
    ("right tree timezone", params(timezone="right/UTC"), "timezone"),
    ("Factory timezone", params(timezone="Factory"), "timezone"),
]


@pytest.mark.parametrize("module_params,field", [case[1:] for case in INVALID_CASES], ids=[case[0] for case in INVALID_CASES])
def test_build_desired_rejects(module_params, field):
    with pytest.raises(ScheduleError) as raised:
        dt.build_desired(module_params, {"monitor_id": 1}, NOW)
    assert raised.value.field == field


def test_empty_windows_message_names_the_fix():
    with pytest.raises(ScheduleError) as raised:
        dt.build_desired(params(windows=[]), {"monitor_id": 1}, NOW)
    assert "windows: is empty; give at least one window, or start/end" in str(raised.value)


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Berlin", "America/New_York", "Etc/GMT+5"])
def test_canonical_timezones_accepted(timezone):
    attributes, _matchers = dt.build_desired(params(timezone=timezone), {"monitor_id": 1}, NOW)
    assert attributes["display_timezone"] == timezone


def stored(attributes):
    """Return ``attributes`` as Datadog returns them: with server fields and another list order."""
    answer = dict(attributes)
    answer.update({"status": "scheduled", "canceled": None, "created": "2026-12-01T00:00:00+00:00",
                   "modified": "2026-12-01T00:00:00+00:00",
                   "notify_end_states": list(reversed(attributes["notify_end_states"]))})
    answer["schedule"] = dict(attributes["schedule"], current_downtime={"start": "x", "end": "y"})
    return answer


CHANGE_CASES = [
    ("nothing", {}, []),
    ("message edited", {"message": "Edited\n\nansible-downtime-id: my_metric weeknights"}, ["message"]),
    ("scope edited", {"scope": "host:a"}, ["scope"]),
    ("monitor edited", {"monitor_identifier": {"monitor_id": 999}}, ["monitor_identifier"]),
    ("monitor id as string", {"monitor_identifier": {"monitor_id": "123"}}, []),
    ("end types edited", {"notify_end_types": ["canceled", "expired"]}, ["notify_end_types"]),
    ("mute edited", {"mute_first_recovery_notification": True}, ["mute_first_recovery_notification"]),
    ("null timezone is utc", {"display_timezone": None}, []),
    ("window duration edited", {"schedule": {"timezone": "UTC", "recurrences": [
        {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR", "start": "2026-11-30T19:00", "duration": "10h"}]}},
     ["schedule"]),
    ("older start same window", {"schedule": {"timezone": "UTC", "recurrences": [
        {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR", "start": "2026-11-30T19:00", "duration": "14h"}]}},
     []),
    ("one-time instead", {"schedule": {"start": "2026-11-30T19:00:00+00:00", "end": None}}, ["schedule"]),
]


@pytest.mark.parametrize("edit,expected", [case[1:] for case in CHANGE_CASES], ids=[case[0] for case in CHANGE_CASES])
def test_changed_attributes(edit, expected):
    desired, matchers = dt.build_desired(params(), {"monitor_id": 123}, NOW)
    current = stored(desired)
    current.update(edit)
    assert sorted(dt.changed_attributes(current, desired, matchers)) == expected


ONE_TIME_CASES = [
    ("same instants other offset", {"start": "2026-12-24T17:00:00+00:00", "end": "2026-12-24T20:00:00+01:00"}, False),
    ("end moved", {"start": "2026-12-24T18:00:00+01:00", "end": "2026-12-24T21:00:00+01:00"}, True),
    ("end removed", {"start": "2026-12-24T18:00:00+01:00", "end": None}, True),
]


@pytest.mark.parametrize("current,expected", [case[1:] for case in ONE_TIME_CASES], ids=[case[0] for case in ONE_TIME_CASES])
def test_one_time_schedule_differs(current, expected):
    desired, matchers = dt.build_desired(params(windows=None, timezone="Europe/Berlin", start="2026-12-24T18:00",
                                                end="2026-12-24T20:00"), {"monitor_id": 1}, NOW)
    assert matchers is None
    assert dt.schedule_differs(current, desired["schedule"], matchers, "Europe/Berlin") is expected


def test_normalize_hides_identity_and_server_fields():
    desired, _matchers = dt.build_desired(params(), {"monitor_tags": ["b", "a"]}, NOW)
    view = dt.normalize({"id": "uuid", "type": "downtime", "attributes": stored(desired)})
    assert view["name"] == "my_metric weeknights"
    assert view["message"] == "Quiet hours"
    assert view["monitor_identifier"] == {"monitor_tags": ["a", "b"]}
    assert "current_downtime" not in view["schedule"]
    assert view["timezone"] == "UTC"
