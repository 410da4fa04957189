"""The timeboard and the downtime schedules as site.yml creates them in the Datadog API emulator.

Reads the emulator's stored objects through its admin API (tests/standins/datadog_api) at the
datadog_api_url of inventory/local. The checks are skipped when the emulator is not reachable.
"""

import datetime
import json
import os
import urllib.error
import urllib.request

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SHARED_VARS = os.path.join(REPO_ROOT, "inventory", "local", "group_vars", "all", "datadog.yml")
TIMEBOARD_TITLE = "Datadog Assignment Timeboard"


@pytest.fixture(scope="module")
def stored():
    """Return a function that lists the emulator's stored objects of one kind."""
    with open(SHARED_VARS, encoding="utf-8") as handle:
        url = yaml.safe_load(handle)["datadog_api_url"].rstrip("/")
    try:
        urllib.request.urlopen(url + "/_emulator/health", timeout=5).read()
    except (urllib.error.URLError, OSError) as exc:
        pytest.skip("Datadog API emulator not reachable at %s: %s" % (url, exc))

    def objects(kind):
        with urllib.request.urlopen("%s/_emulator/objects/%s" % (url, kind), timeout=10) as response:
            return json.loads(response.read())

    return objects


def active_downtimes(stored):
    found = {}
    for item in stored("downtime"):
        attributes = item["attributes"]
        if attributes.get("canceled") is None and "ansible-downtime-id: " in (attributes.get("message") or ""):
            found[attributes["message"].rsplit("ansible-downtime-id: ", 1)[1]] = attributes
    return found


def test_timeboard_exists_once(stored):
    boards = [board for board in stored("dashboard") if board["title"] == TIMEBOARD_TITLE]
    assert len(boards) == 1
    assert boards[0]["layout_type"] == "ordered"


def test_timeboard_queries(stored):
    (board,) = [board for board in stored("dashboard") if board["title"] == TIMEBOARD_TITLE]
    queries = [widget["definition"]["requests"][0]["q"] for widget in board["widgets"]]
    assert queries[0] == "avg:my_metric{host:ddlab-local}"
    assert queries[1].startswith("anomalies(avg:mysql.performance.com_select{*}, 'basic', ")
    assert queries[2] == "avg:my_metric{*}.rollup(sum, 3600)"
    assert board["template_variables"][0]["name"] == "host"
    assert board["template_variables"][0]["prefix"] == "host"


def test_downtimes_silence_the_monitor(stored):
    downtimes = active_downtimes(stored)
    assert sorted(downtimes) == ["my_metric weekend", "my_metric weeknights"]
    monitor_ids = {monitor["id"] for monitor in stored("monitor")}
    for attributes in downtimes.values():
        assert attributes["monitor_identifier"]["monitor_id"] in monitor_ids


def test_weeknight_window_is_14h_from_1900(stored):
    schedule = active_downtimes(stored)["my_metric weeknights"]["schedule"]
    assert schedule["timezone"] == "UTC"
    (recurrence,) = schedule["recurrences"]
    assert recurrence["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR"
    assert recurrence["duration"] == "14h"
    start = datetime.datetime.fromisoformat(recurrence["start"])
    assert (start.hour, start.minute) == (19, 0)
    assert start.weekday() < 5


def test_weekend_window_is_whole_days(stored):
    schedule = active_downtimes(stored)["my_metric weekend"]["schedule"]
    (recurrence,) = schedule["recurrences"]
    assert recurrence["rrule"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU"
    assert recurrence["duration"] == "1d"
    assert recurrence["start"].endswith("T00:00")
