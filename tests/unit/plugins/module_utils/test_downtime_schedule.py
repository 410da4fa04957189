# -*- coding: utf-8 -*-
"""Table-driven tests of the downtime schedule conversion, with a frozen clock."""

from __future__ import absolute_import, division, print_function

import datetime

import pytest

from ansible_collections.ddlab.observability.plugins.module_utils import downtime_schedule as ds

UTC = datetime.timezone.utc
WEEKNIGHTS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "19:00", "end": "09:00"}
WEEKEND = {"days": ["saturday", "sunday"], "start": "00:00", "end": "24:00"}


def at(text):
    """Return an aware UTC instant for ISO text without an offset."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


# (case, window, timezone, frozen now in UTC, expected recurrence)
RECURRENCE_CASES = [
    ("weeknights later today", WEEKNIGHTS, "UTC", at("2026-12-02T10:00"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR", "start": "2026-12-02T19:00", "duration": "14h"}),
    ("weeknights today already started", WEEKNIGHTS, "UTC", at("2026-12-02T20:00"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR", "start": "2026-12-03T19:00", "duration": "14h"}),
    ("weeknights friday evening rolls to monday", WEEKNIGHTS, "UTC", at("2026-12-04T19:30"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR", "start": "2026-12-07T19:00", "duration": "14h"}),
    ("start exactly now is not past", WEEKNIGHTS, "UTC", at("2026-12-02T19:00"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR", "start": "2026-12-02T19:00", "duration": "14h"}),
    ("weekend whole days", WEEKEND, "UTC", at("2026-12-05T12:00"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU", "start": "2026-12-06T00:00", "duration": "1d"}),
    ("weekend by duration", {"days": ["weekend"], "start": "00:00", "duration": "24h"}, "UTC", at("2026-12-02T12:00"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU", "start": "2026-12-05T00:00", "duration": "1d"}),
    ("weeknights in new york after local start", WEEKNIGHTS, "America/New_York", at("2026-12-03T00:30"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR", "start": "2026-12-03T19:00", "duration": "14h"}),
    ("weeknights in berlin before local start", WEEKNIGHTS, "Europe/Berlin", at("2026-12-02T17:30"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR", "start": "2026-12-02T19:00", "duration": "14h"}),
    # Berlin switches to CEST (UTC+2) on 2026-03-29 at 02:00. 17:30Z is 19:30 local, past 19:00;
    # with the winter offset it would look like 18:30 and give a start in the past.
    ("berlin spring forward evening", {"days": ["sun"], "start": "19:00", "duration": "2h"}, "Europe/Berlin",
     at("2026-03-29T17:30"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SU", "start": "2026-04-05T19:00", "duration": "2h"}),
    ("berlin spring forward before start", {"days": ["sun"], "start": "19:00", "duration": "2h"}, "Europe/Berlin",
     at("2026-03-29T16:30"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SU", "start": "2026-03-29T19:00", "duration": "2h"}),
    # Berlin returns to CET (UTC+1) on 2026-10-25: 17:30Z is 18:30 local, before 19:00.
    ("berlin fall back evening", {"days": ["sun"], "start": "19:00", "duration": "2h"}, "Europe/Berlin",
     at("2026-10-25T17:30"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SU", "start": "2026-10-25T19:00", "duration": "2h"}),
    ("berlin start inside the skipped hour", {"days": ["sun"], "start": "02:30", "duration": "1h"}, "Europe/Berlin",
     at("2026-03-29T00:00"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SU", "start": "2026-03-29T02:30", "duration": "1h"}),
    ("berlin night across spring forward keeps clock length", {"days": ["sat"], "start": "19:00", "end": "09:00"},
     "Europe/Berlin", at("2026-03-28T12:00"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA", "start": "2026-03-28T19:00", "duration": "14h"}),
    # New York switches to EDT (UTC-4) on 2026-03-08: 23:30Z is 19:30 local, past 19:00.
    ("new york spring forward evening", {"days": ["sun"], "start": "19:00", "end": "09:00"}, "America/New_York",
     at("2026-03-08T23:30"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SU", "start": "2026-03-15T19:00", "duration": "14h"}),
    # New York returns to EST (UTC-5) on 2026-11-01: 23:30Z is 18:30 local, before 19:00.
    ("new york fall back evening", {"days": ["sun"], "start": "19:00", "end": "09:00"}, "America/New_York",
     at("2026-11-01T23:30"),
     {"rrule": "FREQ=WEEKLY;INTERVAL=1;BYDAY=SU", "start": "2026-11-01T19:00", "duration": "14h"}),
    ("raw rrule without start", {"rrule": "freq=monthly;bysetpos=1;byday=mo", "duration": "90m"}, "UTC",
     at("2026-12-02T10:00"),
     {"rrule": "FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO", "duration": "90m"}),
    ("raw rrule with prefix and start", {"rrule": "RRULE:FREQ=DAILY", "duration": "1h30m", "start": "2027-01-01T08:15"},
     "Europe/Berlin", at("2026-12-02T10:00"),
     {"rrule": "FREQ=DAILY", "start": "2027-01-01T08:15", "duration": "90m"}),
]


@pytest.mark.parametrize("window,timezone,now,expected", [case[1:] for case in RECURRENCE_CASES],
                         ids=[case[0] for case in RECURRENCE_CASES])
def test_window_to_recurrence(window, timezone, now, expected):
    tz = ds.load_timezone(timezone)
    result = ds.window_to_recurrence(window, tz, now, "windows[0]")
    assert result["recurrence"] == expected


@pytest.mark.parametrize("window,timezone,now", [case[1:4] for case in RECURRENCE_CASES if "days" in case[1]],
                         ids=[case[0] for case in RECURRENCE_CASES if "days" in case[1]])
def test_weekly_start_never_in_past(window, timezone, now):
    tz = ds.load_timezone(timezone)
    result = ds.window_to_recurrence(window, tz, now, "windows[0]")
    start = result["match"]["start"]
    assert start >= now
    assert start - now < datetime.timedelta(days=7)


def test_weeknight_window_is_fourteen_hours_from_1900():
    now = at("2026-12-02T10:00")
    schedule, matchers = ds.build_recurrences([WEEKNIGHTS, WEEKEND], "America/New_York", now)
    weeknights = schedule["recurrences"][0]
    assert schedule["timezone"] == "America/New_York"
    assert weeknights["rrule"].endswith("BYDAY=MO,TU,WE,TH,FR")
    assert weeknights["start"].endswith("T19:00")
    assert ds.parse_duration(weeknights["duration"], "duration") == 14 * 60
    assert len(matchers) == 2


DURATION_CASES = [
    ("14h", 840, "14h"), ("90m", 90, "90m"), ("1h30m", 90, "90m"), ("24h", 1440, "1d"),
    ("1440m", 1440, "1d"), ("7d", 10080, "1w"), ("2w", 20160, "2w"), (" 3 h ", 180, "3h"),
]


@pytest.mark.parametrize("text,minutes,formatted", DURATION_CASES)
def test_duration_round_trip(text, minutes, formatted):
    assert ds.parse_duration(text, "duration") == minutes
    assert ds.format_duration(minutes) == formatted


DAY_CASES = [
    (["Mon", "tuesday", "WE"], ["MO", "TU", "WE"]),
    (["sun", "sat"], ["SA", "SU"]),
    (["weekdays"], ["MO", "TU", "WE", "TH", "FR"]),
    ("daily", ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
    (["fri", "friday", "fr"], ["FR"]),
]


@pytest.mark.parametrize("days,codes", DAY_CASES)
def test_parse_days(days, codes):
    assert ds.parse_days(days, "days") == codes


# (case, window, timezone, field named in the error, words the message must contain)
INVALID_CASES = [
    ("unknown timezone", WEEKNIGHTS, "Mars/Olympus", "timezone", "IANA"),
    ("timezone path", WEEKNIGHTS, "../etc/passwd", "timezone", "IANA"),
    ("unknown day", {"days": ["funday"], "start": "19:00", "end": "09:00"}, "UTC", "windows[0].days", "funday"),
    ("empty days", {"days": [], "start": "19:00", "end": "09:00"}, "UTC", "windows[0].days", "at least one day"),
    ("hour 25", {"days": ["mon"], "start": "25:00", "end": "09:00"}, "UTC", "windows[0].start", "25:00"),
    ("minute 60", {"days": ["mon"], "start": "19:00", "end": "09:60"}, "UTC", "windows[0].end", "09:60"),
    ("start 24:00", {"days": ["mon"], "start": "24:00", "duration": "1h"}, "UTC", "windows[0].start", "24:00"),
    ("time without colon", {"days": ["mon"], "start": "1900", "end": "09:00"}, "UTC", "windows[0].start", "HH:MM"),
    ("zero duration", {"days": ["mon"], "start": "19:00", "duration": "0h"}, "UTC", "windows[0].duration", "zero"),
    ("duration without unit", {"days": ["mon"], "start": "19:00", "duration": 5}, "UTC", "windows[0].duration",
     "no unit"),
    ("duration seconds", {"days": ["mon"], "start": "19:00", "duration": "30s"}, "UTC", "windows[0].duration",
     "14h"),
    ("end equals start", {"days": ["mon"], "start": "19:00", "end": "19:00"}, "UTC", "windows[0].end", "24:00"),
    ("end and duration", {"days": ["mon"], "start": "19:00", "end": "09:00", "duration": "1h"}, "UTC", "windows[0]",
     "exactly one"),
    ("neither end nor duration", {"days": ["mon"], "start": "19:00"}, "UTC", "windows[0]", "exactly one"),
    ("missing start", {"days": ["mon"], "end": "09:00"}, "UTC", "windows[0].start", "required"),
    ("rrule with dtstart", {"rrule": "DTSTART:20260101T000000Z;FREQ=DAILY", "duration": "1h"}, "UTC",
     "windows[0].rrule", "not NAME=VALUE"),
    ("rrule with dtstart part", {"rrule": "FREQ=DAILY;DTSTART=20260101T000000Z", "duration": "1h"}, "UTC",
     "windows[0].rrule", "DTSTART"),
    ("rrule without freq", {"rrule": "BYDAY=MO", "duration": "1h"}, "UTC", "windows[0].rrule", "FREQ"),
    ("rrule unknown freq", {"rrule": "FREQ=SOMETIMES", "duration": "1h"}, "UTC", "windows[0].rrule", "SOMETIMES"),
    ("rrule bad byday", {"rrule": "FREQ=WEEKLY;BYDAY=XX", "duration": "1h"}, "UTC", "windows[0].rrule", "XX"),
    ("rrule byday bad ordinal", {"rrule": "FREQ=MONTHLY;BYDAY=XMO", "duration": "1h"}, "UTC", "windows[0].rrule",
     "'XMO'"),
    ("rrule byday ordinal 54", {"rrule": "FREQ=MONTHLY;BYDAY=54MO", "duration": "1h"}, "UTC", "windows[0].rrule",
     "1 to 53"),
    ("rrule byday ordinal 0", {"rrule": "FREQ=MONTHLY;BYDAY=0MO", "duration": "1h"}, "UTC", "windows[0].rrule",
     "'0MO'"),
    ("rrule numbered byday weekly", {"rrule": "FREQ=WEEKLY;BYDAY=1MO", "duration": "1h"}, "UTC", "windows[0].rrule",
     "FREQ=MONTHLY"),
    ("rrule count not a number", {"rrule": "FREQ=DAILY;COUNT=abc", "duration": "1h"}, "UTC", "windows[0].rrule",
     "COUNT=ABC"),
    ("rrule count zero", {"rrule": "FREQ=DAILY;COUNT=0", "duration": "1h"}, "UTC", "windows[0].rrule", "1 or more"),
    ("rrule interval zero", {"rrule": "FREQ=DAILY;INTERVAL=0", "duration": "1h"}, "UTC", "windows[0].rrule",
     "INTERVAL=0"),
    ("rrule interval negative", {"rrule": "FREQ=DAILY;INTERVAL=-2", "duration": "1h"}, "UTC", "windows[0].rrule",
     "1 or more"),
    ("rrule bymonthday zero", {"rrule": "FREQ=MONTHLY;BYMONTHDAY=0", "duration": "1h"}, "UTC", "windows[0].rrule",
     "1 to 31"),
    ("rrule bymonth 13", {"rrule": "FREQ=YEARLY;BYMONTH=1,13", "duration": "1h"}, "UTC", "windows[0].rrule",
     "'13'"),
    ("rrule byhour 24", {"rrule": "FREQ=DAILY;BYHOUR=24", "duration": "1h"}, "UTC", "windows[0].rrule", "0 to 23"),
    ("rrule until not a date", {"rrule": "FREQ=DAILY;UNTIL=tomorrow", "duration": "1h"}, "UTC", "windows[0].rrule",
     "YYYYMMDD"),
    ("rrule until day 32", {"rrule": "FREQ=DAILY;UNTIL=20271232", "duration": "1h"}, "UTC", "windows[0].rrule",
     "YYYYMMDD"),
    ("rrule count and until", {"rrule": "FREQ=DAILY;COUNT=3;UNTIL=20271231", "duration": "1h"}, "UTC",
     "windows[0].rrule", "COUNT and UNTIL"),
    ("rrule byweekno monthly", {"rrule": "FREQ=MONTHLY;BYWEEKNO=1", "duration": "1h"}, "UTC", "windows[0].rrule",
     "BYWEEKNO"),
    ("rrule bad wkst", {"rrule": "FREQ=WEEKLY;WKST=XX", "duration": "1h"}, "UTC", "windows[0].rrule", "WKST"),
    ("rrule without duration", {"rrule": "FREQ=DAILY"}, "UTC", "windows[0].duration", "required"),
    ("rrule with days", {"rrule": "FREQ=DAILY", "days": ["mon"], "duration": "1h"}, "UTC", "windows[0].days",
     "rrule"),
    ("rrule bad start", {"rrule": "FREQ=DAILY", "duration": "1h", "start": "tomorrow"}, "UTC", "windows[0].start",
     "2026-12-24T18:00"),
]


@pytest.mark.parametrize("window,timezone,field,words", [case[1:] for case in INVALID_CASES],
                         ids=[case[0] for case in INVALID_CASES])
def test_invalid_windows(window, timezone, field, words):
    with pytest.raises(ds.ScheduleError) as raised:
        ds.build_recurrences([window], timezone, at("2026-12-02T10:00"))
    assert raised.value.field == field
    assert words in str(raised.value)


VALID_RRULES = [
    "FREQ=MONTHLY;BYDAY=1MO",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=YEARLY;BYDAY=+53SU",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=DAILY;INTERVAL=2;COUNT=10",
    "FREQ=DAILY;UNTIL=20271231T230000Z",
    "FREQ=DAILY;UNTIL=20271231",
    "FREQ=YEARLY;BYWEEKNO=-53;BYDAY=MO",
    "FREQ=WEEKLY;BYDAY=MO,TU;WKST=SU;BYHOUR=0,23;BYMINUTE=59",
]


@pytest.mark.parametrize("rrule", VALID_RRULES)
def test_valid_rrules(rrule):
    assert ds.parse_rrule(rrule, "rrule") == rrule


def test_empty_window_list():
    with pytest.raises(ds.ScheduleError) as raised:
        ds.build_recurrences([], "UTC", at("2026-12-02T10:00"))
    assert raised.value.field == "windows"


ONE_TIME_CASES = [
    ("local times", "2026-12-24T18:00", "2026-12-27T08:00", "Europe/Berlin",
     {"start": "2026-12-24T18:00:00+01:00", "end": "2026-12-27T08:00:00+01:00"}),
    ("offsets kept", "2026-07-01T09:00+00:00", "2026-07-01T10:00Z", "America/New_York",
     {"start": "2026-07-01T09:00:00+00:00", "end": "2026-07-01T10:00:00+00:00"}),
    ("end only", None, "2026-12-24T18:00", "UTC", {"end": "2026-12-24T18:00:00+00:00"}),
    ("start only", "2026-12-24T18:00", None, "America/New_York", {"start": "2026-12-24T18:00:00-05:00"}),
]


@pytest.mark.parametrize("start,end,timezone,expected", [case[1:] for case in ONE_TIME_CASES],
                         ids=[case[0] for case in ONE_TIME_CASES])
def test_build_one_time(start, end, timezone, expected):
    assert ds.build_one_time(start, end, timezone, at("2026-12-02T10:00")) == expected


@pytest.mark.parametrize("start,end", [("2026-12-24T18:00", "2026-12-24T17:00"), (None, "2026-12-01T00:00")])
def test_one_time_end_before_start(start, end):
    with pytest.raises(ds.ScheduleError) as raised:
        ds.build_one_time(start, end, "UTC", at("2026-12-02T10:00"))
    assert raised.value.field == "schedule.end"


def existing_schedule(timezone, *recurrences):
    return {"timezone": timezone, "recurrences": [dict(zip(("rrule", "start", "duration"), item)) for item in recurrences],
            "current_downtime": {"start": "2026-11-30T19:00:00+00:00", "end": "2026-12-01T09:00:00+00:00"}}


WEEKLY_RULE = "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR"
WEEKEND_RULE = "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU"
# (case, existing schedule, expected match) for the weeknight and weekend windows on 2026-12-02 10:00Z.
MATCH_CASES = [
    ("same windows started weeks ago", existing_schedule("UTC", (WEEKLY_RULE, "2026-11-02T19:00", "14h"),
                                                         (WEEKEND_RULE, "2026-11-07T00:00", "1d")), True),
    ("order does not matter", existing_schedule("UTC", (WEEKEND_RULE, "2026-11-07T00:00", "24h"),
                                                (WEEKLY_RULE, "2026-11-02T19:00", "840m")), True),
    ("start with seconds and offset", existing_schedule("UTC", (WEEKLY_RULE, "2026-11-02T19:00:00+00:00", "14h"),
                                                        (WEEKEND_RULE, "2026-11-07T00:00:00Z", "1d")), True),
    ("start time edited", existing_schedule("UTC", (WEEKLY_RULE, "2026-11-02T20:00", "14h"),
                                            (WEEKEND_RULE, "2026-11-07T00:00", "1d")), False),
    ("duration edited", existing_schedule("UTC", (WEEKLY_RULE, "2026-11-02T19:00", "13h"),
                                          (WEEKEND_RULE, "2026-11-07T00:00", "1d")), False),
    ("days edited", existing_schedule("UTC", ("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU", "2026-11-02T19:00", "14h"),
                                      (WEEKEND_RULE, "2026-11-07T00:00", "1d")), False),
    ("start postponed", existing_schedule("UTC", (WEEKLY_RULE, "2027-02-01T19:00", "14h"),
                                          (WEEKEND_RULE, "2026-11-07T00:00", "1d")), False),
    ("start on an unlisted day", existing_schedule("UTC", (WEEKLY_RULE, "2026-11-01T19:00", "14h"),
                                                   (WEEKEND_RULE, "2026-11-07T00:00", "1d")), False),
    ("timezone edited", existing_schedule("Europe/Berlin", (WEEKLY_RULE, "2026-11-02T19:00", "14h"),
                                          (WEEKEND_RULE, "2026-11-07T00:00", "1d")), False),
    ("window missing", existing_schedule("UTC", (WEEKLY_RULE, "2026-11-02T19:00", "14h")), False),
    ("extra window", existing_schedule("UTC", (WEEKLY_RULE, "2026-11-02T19:00", "14h"),
                                       (WEEKEND_RULE, "2026-11-07T00:00", "1d"),
                                       ("FREQ=DAILY", "2026-11-07T00:00", "1h")), False),
    ("one-time schedule", {"start": "2026-11-02T19:00:00+00:00", "end": None}, False),
]


@pytest.mark.parametrize("existing,expected", [case[1:] for case in MATCH_CASES], ids=[case[0] for case in MATCH_CASES])
def test_recurrences_match(existing, expected):
    _schedule, matchers = ds.build_recurrences([WEEKNIGHTS, WEEKEND], "UTC", at("2026-12-02T10:00"))
    assert ds.recurrences_match(existing, matchers, "UTC") is expected


def test_freshly_built_schedule_matches_itself_a_week_later():
    schedule, _matchers = ds.build_recurrences([WEEKNIGHTS, WEEKEND], "Europe/Berlin", at("2026-03-20T10:00"))
    _later, later_matchers = ds.build_recurrences([WEEKNIGHTS, WEEKEND], "Europe/Berlin", at("2026-04-03T10:00"))
    assert ds.recurrences_match(schedule, later_matchers, "Europe/Berlin") is True


RAW_MATCH_CASES = [
    ("raw rule any start", {"rrule": "FREQ=DAILY", "duration": "1h"}, ("FREQ=DAILY", "2020-01-01T05:00", "60m"), True),
    ("raw rule other rule", {"rrule": "FREQ=DAILY", "duration": "1h"}, ("FREQ=WEEKLY", "2020-01-01T05:00", "1h"), False),
    ("raw rule fixed start", {"rrule": "FREQ=DAILY", "duration": "1h", "start": "2027-01-01T05:00"},
     ("FREQ=DAILY", "2027-01-01T05:00", "1h"), True),
    ("raw rule start differs", {"rrule": "FREQ=DAILY", "duration": "1h", "start": "2027-01-01T05:00"},
     ("FREQ=DAILY", "2027-01-01T06:00", "1h"), False),
]


@pytest.mark.parametrize("window,existing,expected", [case[1:] for case in RAW_MATCH_CASES],
                         ids=[case[0] for case in RAW_MATCH_CASES])
def test_raw_rrule_match(window, existing, expected):
    _schedule, matchers = ds.build_recurrences([window], "UTC", at("2026-12-02T10:00"))
    assert ds.recurrences_match(existing_schedule("UTC", existing), matchers, "UTC") is expected
