# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Convert downtime schedules written in human terms into Datadog v2 downtime schedules.

A window is "these days of the week, from this time, until that time (or for that long)" in an
IANA timezone. Datadog v2 wants a list of recurrences, each an RRULE without DTSTART, a start
as local wall-clock time without a UTC offset, and a duration such as ``14h``.

Everything here is pure: the caller passes the current time, so tests can freeze the clock.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    HAS_ZONEINFO = True
except ImportError:  # Python < 3.9
    HAS_ZONEINFO = False

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_DAY_NAMES = {
    "mo": "MO", "mon": "MO", "monday": "MO",
    "tu": "TU", "tue": "TU", "tues": "TU", "tuesday": "TU",
    "we": "WE", "wed": "WE", "wednesday": "WE",
    "th": "TH", "thu": "TH", "thur": "TH", "thurs": "TH", "thursday": "TH",
    "fr": "FR", "fri": "FR", "friday": "FR",
    "sa": "SA", "sat": "SA", "saturday": "SA",
    "su": "SU", "sun": "SU", "sunday": "SU",
}
_DAY_GROUPS = {
    "weekdays": WEEKDAY_CODES[:5],
    "weekend": WEEKDAY_CODES[5:],
    "daily": WEEKDAY_CODES,
    "everyday": WEEKDAY_CODES,
}

# Datadog documents a duration as an integer followed by m, h, d or w.
_DURATION_UNITS = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
_DURATION_RE = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_LOCAL_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

# RFC 5545 RRULE parts that Datadog accepts. DTSTART, DTEND and DURATION are rejected by the
# API because the start and duration are separate fields of each recurrence.
_RRULE_PARTS = frozenset((
    "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYYEARDAY",
    "BYWEEKNO", "BYSETPOS", "BYHOUR", "BYMINUTE", "WKST",
))
_RRULE_FORBIDDEN = ("DTSTART", "DTEND", "DURATION")
_RRULE_FREQS = frozenset(("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY"))


class ScheduleError(ValueError):
    """Invalid schedule input; ``field`` is the option path the message is about."""

    def __init__(self, field, message):
        super(ScheduleError, self).__init__("%s: %s" % (field, message))
        self.field = field


_CANONICAL_TIMEZONES = []


def canonical_timezones():
    """Return the IANA timezone names accepted for a downtime (computed once per process).

    ``available_timezones()`` also lists the tzdata file tree's copies under ``posix/`` and
    ``right/`` (leap-second clocks) and the files ``localtime`` (the control node's own zone) and
    ``Factory``, which are not IANA zone names that Datadog shows; they are left out.
    """
    if not _CANONICAL_TIMEZONES:
        names = set(name for name in available_timezones()
                    if not name.startswith(("posix/", "right/")) and name not in ("localtime", "Factory"))
        names.add("UTC")
        _CANONICAL_TIMEZONES.append(frozenset(names))
    return _CANONICAL_TIMEZONES[0]


def load_timezone(name, field="timezone"):
    """Return the ZoneInfo for a canonical IANA timezone name, or raise ScheduleError."""
    if not HAS_ZONEINFO:
        raise ScheduleError(field, "needs Python 3.9 or later (module zoneinfo) on the control node")
    if isinstance(name, str) and not name.strip():
        raise ScheduleError(field, "is empty; give an IANA timezone name such as UTC or Europe/Berlin, or omit it "
                                   "for UTC")
    if not isinstance(name, str) or name.startswith(("/", ".")) or ".." in name:
        raise ScheduleError(field, "%r is not an IANA timezone name; use a name such as UTC or Europe/Berlin" % (name,))
    if name not in canonical_timezones():
        raise ScheduleError(field, "unknown timezone %r; use an IANA name such as UTC, Europe/Berlin or "
                                   "America/New_York (not localtime, Factory or names under posix/ or right/)"
                            % (name,))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(field, "unknown timezone %r; use an IANA name such as UTC, Europe/Berlin or "
                                   "America/New_York" % (name,))


def parse_days(value, field):
    """Return the weekday codes (MO..SU, in week order, no repeats) for a list of day names."""
    if isinstance(value, str):
        value = [value]
    if not value:
        raise ScheduleError(field, "is empty; list at least one day, for example [mon, tue] or [weekdays]")
    codes = set()
    for item in value:
        key = str(item).strip().lower()
        if key in _DAY_GROUPS:
            codes.update(_DAY_GROUPS[key])
        elif key in _DAY_NAMES:
            codes.add(_DAY_NAMES[key])
        else:
            raise ScheduleError(field, "unknown day %r; use mon, tue, wed, thu, fri, sat, sun (or full names, "
                                       "weekdays, weekend, daily)" % (item,))
    return [code for code in WEEKDAY_CODES if code in codes]


def parse_clock(value, field, allow_end_of_day=False):
    """Return minutes after midnight for a time written HH:MM (24-hour clock)."""
    match = _CLOCK_RE.match(str(value).strip())
    if not match:
        raise ScheduleError(field, "%r is not a time; write it as HH:MM on a 24-hour clock, for example 19:00"
                            % (value,))
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_end_of_day and hours == 24 and minutes == 0:
        return 24 * 60
    if hours > 23 or minutes > 59:
        limit = "00:00 to 24:00" if allow_end_of_day else "00:00 to 23:59"
        raise ScheduleError(field, "%r is not a valid time; use %s" % (value, limit))
    return hours * 60 + minutes


def parse_duration(value, field):
    """Return the length in minutes of a duration such as 14h, 90m, 1d, 1w or 1h30m."""
    if isinstance(value, bool):
        raise ScheduleError(field, "%r is not a duration; write it like 14h, 90m, 1d or 1w" % (value,))
    if isinstance(value, int):
        raise ScheduleError(field, "%r has no unit; write it like 14h, 90m, 1d or 1w" % (value,))
    text = str(value).strip().lower().replace(" ", "")
    match = _DURATION_RE.match(text)
    if not text or not match:
        raise ScheduleError(field, "%r is not a duration; write it like 14h, 90m, 1d or 1w" % (value,))
    minutes = 0
    for amount, unit in zip(match.groups(), ("w", "d", "h", "m")):
        if amount:
            minutes += int(amount) * _DURATION_UNITS[unit]
    if minutes <= 0:
        raise ScheduleError(field, "%r is zero; a downtime window must last at least 1m" % (value,))
    return minutes


def format_duration(minutes):
    """Return Datadog's form of a duration: one integer and the largest unit that divides it exactly."""
    for unit in ("w", "d", "h", "m"):
        size = _DURATION_UNITS[unit]
        if minutes % size == 0:
            return "%d%s" % (minutes // size, unit)
    raise AssertionError("unreachable: every duration is a whole number of minutes")


def parse_rrule(value, field):
    """Return a raw RRULE in a canonical form (parts upper-cased, in the given order) after checking it.

    Datadog rejects DTSTART, DTEND and DURATION inside the rule, so they are rejected here too.
    """
    text = str(value).strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:"):]
    if not text:
        raise ScheduleError(field, "is empty; give a rule such as FREQ=WEEKLY;BYDAY=MO,TU")
    parts = []
    seen = set()
    for chunk in text.split(";"):
        if "=" not in chunk:
            raise ScheduleError(field, "part %r is not NAME=VALUE; separate parts with ';', for example "
                                       "FREQ=WEEKLY;BYDAY=SA,SU" % (chunk,))
        name, part_value = chunk.split("=", 1)
        name = name.strip().upper()
        part_value = part_value.strip().upper()
        if name in _RRULE_FORBIDDEN:
            raise ScheduleError(field, "contains %s, which Datadog does not accept in a downtime rule; remove it "
                                       "and set the window's start and duration (or end) options instead" % name)
        if name not in _RRULE_PARTS:
            raise ScheduleError(field, "unknown part %r; supported parts: %s" % (name, ", ".join(sorted(_RRULE_PARTS))))
        if name in seen:
            raise ScheduleError(field, "part %s appears twice" % name)
        if not part_value:
            raise ScheduleError(field, "part %s has no value" % name)
        seen.add(name)
        parts.append((name, part_value))
    freq = dict(parts).get("FREQ")
    if freq is None:
        raise ScheduleError(field, "has no FREQ part; start the rule with FREQ=DAILY, FREQ=WEEKLY or FREQ=MONTHLY")
    if freq not in _RRULE_FREQS:
        raise ScheduleError(field, "FREQ=%s is not a frequency; use one of %s" % (freq, ", ".join(sorted(_RRULE_FREQS))))
    values = dict(parts)
    for name, part_value in parts:
        _check_rrule_value(name, part_value, field)
    if "COUNT" in values and "UNTIL" in values:
        raise ScheduleError(field, "has both COUNT and UNTIL; RFC 5545 allows one of them, so remove the other")
    byday = values.get("BYDAY")
    if byday and freq not in ("MONTHLY", "YEARLY") and any(_BYDAY_RE.match(day).group(1) for day in byday.split(",")):
        raise ScheduleError(field, "BYDAY=%s has a numbered day, which RFC 5545 allows only with FREQ=MONTHLY or "
                                   "FREQ=YEARLY; remove the number or change FREQ" % values["BYDAY"])
    if "BYWEEKNO" in values and freq != "YEARLY":
        raise ScheduleError(field, "BYWEEKNO is allowed only with FREQ=YEARLY (RFC 5545)")
    return ";".join("%s=%s" % part for part in parts)


# Integer rule parts (RFC 5545 section 3.3.10): (lowest, highest, whether negative values count from the end).
_RRULE_INTEGER_RANGES = {
    "INTERVAL": (1, None, False),
    "COUNT": (1, None, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTH": (1, 12, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYSETPOS": (1, 366, True),
}
_RRULE_LIST_PARTS = frozenset(("BYMINUTE", "BYHOUR", "BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS",
                               "BYDAY"))
_BYDAY_RE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$")


def _check_rrule_value(name, value, field):
    """Raise ScheduleError unless ``value`` is a valid value of RRULE part ``name`` (RFC 5545)."""
    items = value.split(",") if name in _RRULE_LIST_PARTS else [value]
    for item in items:
        if name in _RRULE_INTEGER_RANGES:
            low, high, signed = _RRULE_INTEGER_RANGES[name]
            pattern = r"^[+-]?\d+$" if signed else r"^\d+$"
            number = int(item) if re.match(pattern, item) else None
            magnitude = abs(number) if number is not None else None
            if magnitude is None or magnitude < low or (high is not None and magnitude > high):
                span = "%d or more" % low if high is None else "%d to %d" % (low, high)
                if signed:
                    span += " (or -%d to -%d, counted from the end)" % (high, low)
                raise ScheduleError(field, "%s=%s: %r is not valid; use an integer %s" % (name, value, item, span))
        elif name == "BYDAY":
            match = _BYDAY_RE.match(item)
            if not match or (match.group(1) and not 1 <= abs(int(match.group(1))) <= 53):
                raise ScheduleError(field, "BYDAY value %r is not a day; use MO, TU, WE, TH, FR, SA or SU, optionally "
                                           "after a number from 1 to 53 or -53 to -1 (1MO, -1FR)" % (item,))
        elif name == "WKST" and item not in WEEKDAY_CODES:
            raise ScheduleError(field, "WKST=%s is not a day; use MO, TU, WE, TH, FR, SA or SU" % item)
        elif name == "UNTIL":
            match = _UNTIL_RE.match(item)
            valid = False
            if match:
                numbers = [int(group) for group in match.groups() if group is not None]
                try:
                    datetime.datetime(*numbers)
                    valid = True
                except ValueError:
                    valid = False
            if not valid:
                raise ScheduleError(field, "UNTIL=%s is not a date; write it as YYYYMMDD or YYYYMMDDTHHMMSSZ, for "
                                           "example 20271231T230000Z" % item)


def weekly_rrule(days):
    """Return the RRULE for a window that repeats every week on the given day codes."""
    return "FREQ=WEEKLY;INTERVAL=1;BYDAY=%s" % ",".join(days)


def parse_local_datetime(value, tz, field):
    """Return an aware datetime for ISO text; text without an offset is wall-clock time in ``tz``."""
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ScheduleError(field, "%r is not a date and time; write it like 2026-12-24T18:00 (local time in the "
                                       "downtime's timezone) or with an offset like 2026-12-24T18:00+01:00" % (value,))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def format_local(moment, tz):
    """Return ``moment`` as wall-clock time in ``tz`` without an offset, the form Datadog wants for a start."""
    return moment.astimezone(tz).strftime(_LOCAL_DATETIME_FORMAT)


def next_window_start(days, start_minutes, tz, now):
    """Return the first local start at or after ``now`` on one of ``days`` at ``start_minutes`` after midnight.

    The search runs on local dates in ``tz`` and compares instants, so DST changes between
    ``now`` and the start do not shift the result by an hour.
    """
    local_now = now.astimezone(tz)
    for offset in range(0, 8):
        date = local_now.date() + datetime.timedelta(days=offset)
        if WEEKDAY_CODES[date.weekday()] not in days:
            continue
        candidate = datetime.datetime(date.year, date.month, date.day, start_minutes // 60, start_minutes % 60,
                                      tzinfo=tz)
        # A wall-clock time skipped by a DST change maps to an instant an hour off. Comparing instants
        # keeps the result at or after now in that case too.
        if candidate >= now:
            return candidate
    raise AssertionError("unreachable: every weekday occurs within 8 days")


def window_to_recurrence(window, tz, now, field):
    """Return the Datadog recurrence ``{rrule, start, duration}`` for one window and a ``match`` key.

    ``window`` is a dict with either ``days`` + ``start`` + (``end`` or ``duration``), or ``rrule``
    + ``duration`` (+ optional ``start`` as local date and time). The result's ``match`` entry
    describes how recurrence_matches compares an existing recurrence with it.
    """
    window = dict((key, value) for key, value in window.items() if value is not None)
    if "rrule" in window:
        for key in ("days", "end"):
            if key in window:
                raise ScheduleError("%s.%s" % (field, key), "cannot be combined with rrule; give rrule with "
                                                            "duration (and optionally start), or days with start and end")
        rrule = parse_rrule(window["rrule"], "%s.rrule" % field)
        if "duration" not in window:
            raise ScheduleError("%s.duration" % field, "is required with rrule, for example 1h")
        minutes = parse_duration(window["duration"], "%s.duration" % field)
        recurrence = {"rrule": rrule, "duration": format_duration(minutes)}
        match = {"kind": "rrule", "rrule": rrule, "minutes": minutes}
        if "start" in window:
            start = parse_local_datetime(window["start"], tz, "%s.start" % field)
            recurrence["start"] = format_local(start, tz)
            match["start"] = start
        return {"recurrence": recurrence, "match": match}

    if "days" not in window:
        raise ScheduleError("%s.days" % field, "is required; list the days the window starts on (or give rrule)")
    days = parse_days(window["days"], "%s.days" % field)
    if "start" not in window:
        raise ScheduleError("%s.start" % field, "is required; give the local time the window starts, like 19:00")
    start_minutes = parse_clock(window["start"], "%s.start" % field)
    if ("end" in window) == ("duration" in window):
        raise ScheduleError(field, "give exactly one of end (a time like 09:00) or duration (like 14h)")
    if "end" in window:
        end_minutes = parse_clock(window["end"], "%s.end" % field, allow_end_of_day=True)
        # The length is measured on the clock face, so 19:00 to 09:00 is 14h on every night.
        minutes = (end_minutes - start_minutes) % (24 * 60)
        if minutes == 0:
            if end_minutes == start_minutes and end_minutes != 0:
                raise ScheduleError("%s.end" % field, "equals start (%s), so the window is empty; for a whole day "
                                                      "use start 00:00 and end 24:00, or duration 24h"
                                    % (window["start"],))
            minutes = 24 * 60
    else:
        minutes = parse_duration(window["duration"], "%s.duration" % field)
    start = next_window_start(days, start_minutes, tz, now)
    recurrence = {"rrule": weekly_rrule(days), "start": format_local(start, tz), "duration": format_duration(minutes)}
    match = {"kind": "weekly", "rrule": recurrence["rrule"], "minutes": minutes, "days": days,
             "start_minutes": start_minutes, "start": start}
    return {"recurrence": recurrence, "match": match}


def build_recurrences(windows, timezone_name, now, field="windows"):
    """Return ``(schedule, matchers)``: the Datadog recurrences schedule and one matcher per window."""
    tz = load_timezone(timezone_name)
    if not windows:
        raise ScheduleError(field, "is empty; give at least one window")
    converted = [window_to_recurrence(window, tz, now, "%s[%d]" % (field, index)) for index, window in enumerate(windows)]
    schedule = {"timezone": timezone_name, "recurrences": [item["recurrence"] for item in converted]}
    return schedule, [item["match"] for item in converted]


def build_one_time(start, end, timezone_name, now, field="schedule"):
    """Return the Datadog one-time schedule ``{start, end}`` with offsets, or raise ScheduleError."""
    tz = load_timezone(timezone_name)
    schedule = {}
    start_at = None
    if start is not None:
        start_at = parse_local_datetime(start, tz, "%s.start" % field)
        schedule["start"] = start_at.isoformat()
    if end is not None:
        end_at = parse_local_datetime(end, tz, "%s.end" % field)
        if end_at <= (start_at or now):
            raise ScheduleError("%s.end" % field, "%s is not after the start (%s); give a later end"
                                % (end_at.isoformat(), (start_at or now).isoformat()))
        schedule["end"] = end_at.isoformat()
    return schedule


def duration_minutes(text):
    """Return the minutes of a duration returned by Datadog, or None if it cannot be read."""
    try:
        return parse_duration(text, "duration")
    except ScheduleError:
        return None


def recurrence_matches(existing, matcher, tz):
    """Tell whether an existing recurrence (as Datadog returns it) gives the same windows as ``matcher``.

    A weekly window's start moves forward as time passes, so its date is not compared. An
    existing start matches when it falls on one of the window's days at the same local time and
    is not later than the next start the module would send. A raw rrule without a start ignores
    the existing start, because Datadog sets it to the creation time.
    """
    if duration_minutes(existing.get("duration")) != matcher["minutes"]:
        return False
    try:
        existing_rrule = parse_rrule(existing.get("rrule") or "", "rrule")
    except ScheduleError:
        return False
    if existing_rrule != matcher["rrule"]:
        return False
    start_text = existing.get("start")
    if matcher["kind"] == "rrule":
        if "start" not in matcher:
            return True
        if not start_text:
            return False
        try:
            existing_start = parse_local_datetime(start_text, tz, "start")
        except ScheduleError:
            return False
        return format_local(existing_start, tz) == format_local(matcher["start"], tz)

    if not start_text:
        return False
    try:
        existing_start = parse_local_datetime(start_text, tz, "start").astimezone(tz)
    except ScheduleError:
        return False
    if WEEKDAY_CODES[existing_start.weekday()] not in matcher["days"]:
        return False
    if existing_start.hour * 60 + existing_start.minute != matcher["start_minutes"]:
        return False
    return existing_start <= matcher["start"]


def recurrences_match(existing_schedule, matchers, timezone_name):
    """Tell whether Datadog's recurrences schedule gives exactly the desired windows, in any order."""
    if not isinstance(existing_schedule, dict) or "recurrences" not in existing_schedule:
        return False
    if (existing_schedule.get("timezone") or "UTC") != timezone_name:
        return False
    tz = load_timezone(timezone_name)
    remaining = list(existing_schedule.get("recurrences") or [])
    if len(remaining) != len(matchers):
        return False
    for matcher in matchers:
        for index, existing in enumerate(remaining):
            if recurrence_matches(existing, matcher, tz):
                del remaining[index]
                break
        else:
            return False
    return True
