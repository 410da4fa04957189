# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build, identify, normalize and compare Datadog v2 downtimes.

Datadog gives a downtime no name, so the module keeps its identity key on the downtime itself: the
last line of the message is ``ansible-downtime-id: <name>``. A re-run lists the downtimes, finds the
one whose message ends with that line, and compares it, even when its id has changed.

Pure functions on plain dicts; the module does the API calls.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.ddlab.observability.plugins.module_utils import downtime_schedule as schedules
from ansible_collections.ddlab.observability.plugins.module_utils.datadog_reconcile import ResourceSpec

IDENTITY_PREFIX = "ansible-downtime-id: "
_IDENTITY_RE = re.compile(r"(?:\A|\n)" + re.escape(IDENTITY_PREFIX) + r"(?P<name>[^\n]+?)\s*\Z")

# Datadog's defaults for a new downtime, seen in its create responses.
DEFAULT_NOTIFY_END_STATES = ["alert", "no data", "warn"]
DEFAULT_NOTIFY_END_TYPES = ["expired"]
NOTIFY_END_STATES = ("alert", "no data", "warn")
NOTIFY_END_TYPES = ("canceled", "expired")


def message_with_identity(message, name):
    """Return the message to store: the user's text, then the identity line."""
    marker = IDENTITY_PREFIX + name
    if not message:
        return marker
    return "%s\n\n%s" % (message.rstrip("\n"), marker)


def split_identity(message):
    """Return ``(user message, identity name or None)`` for a stored downtime message."""
    message = message or ""
    match = _IDENTITY_RE.search(message)
    if not match:
        return message, None
    return message[:match.start()].rstrip("\n"), match.group("name")


def is_cancelled(downtime):
    """Tell whether a downtime (a v2 ``data`` item) was cancelled; cancelled downtimes never count as present."""
    attributes = downtime.get("attributes") or {}
    return attributes.get("status") == "canceled" or attributes.get("canceled") is not None


def find_by_identity(downtimes, name):
    """Return the downtimes (v2 ``data`` items) that carry identity ``name`` and are not cancelled."""
    found = []
    for item in downtimes:
        if is_cancelled(item):
            continue
        _message, identity = split_identity((item.get("attributes") or {}).get("message"))
        if identity == name:
            found.append(item)
    return found


def validate_name(name):
    """Raise ScheduleError unless ``name`` can be kept as the identity line."""
    if not isinstance(name, str) or not name.strip():
        raise schedules.ScheduleError("name", "is required: a key that identifies this downtime, unique in the "
                                              "organization, for example 'my_metric weeknights'")
    if "\n" in name or name != name.strip():
        raise schedules.ScheduleError("name", "%r must be one line without leading or trailing spaces" % (name,))


def build_desired(params, monitor_identifier, now):
    """Return ``(attributes, matchers)``: the v2 attributes to send and how to compare the schedule.

    ``params`` are the module options; ``monitor_identifier`` is ``{"monitor_id": N}`` or
    ``{"monitor_tags": [...]}``, already resolved; ``now`` is an aware datetime. Raises
    ScheduleError for invalid input.
    """
    validate_name(params["name"])
    timezone = params.get("timezone")
    if timezone is None:
        timezone = "UTC"
    schedules.load_timezone(timezone)
    scope = params.get("scope")
    if scope is None:
        scope = "*"
    if not scope.strip():
        raise schedules.ScheduleError("scope", "is empty; give a scope such as host:web-1, or * (or omit scope) for "
                                               "every scope")
    _validate_scope(scope)
    if params.get("monitor_tags") is not None and not params["monitor_tags"]:
        raise schedules.ScheduleError("monitor_tags", "is empty; list at least one tag, such as team:ops, or use "
                                                      "monitor or monitor_id")
    for key, allowed in (("notify_end_states", NOTIFY_END_STATES), ("notify_end_types", NOTIFY_END_TYPES)):
        for value in params.get(key) or []:
            if value not in allowed:
                raise schedules.ScheduleError(key, "%r is not valid; use %s" % (value, ", ".join(allowed)))

    attributes = {
        "scope": scope,
        "monitor_identifier": monitor_identifier,
        "message": message_with_identity(params.get("notification_message"), params["name"]),
        "display_timezone": timezone,
        "mute_first_recovery_notification": bool(params.get("mute_first_recovery_notification")),
        "notify_end_states": sorted(params["notify_end_states"] if params.get("notify_end_states") is not None
                                    else DEFAULT_NOTIFY_END_STATES),
        "notify_end_types": sorted(params["notify_end_types"] if params.get("notify_end_types") is not None
                                   else DEFAULT_NOTIFY_END_TYPES),
    }
    windows = params.get("windows")
    if windows is not None and not windows:
        raise schedules.ScheduleError("windows", "is empty; give at least one window, or start/end (without "
                                                 "windows) for a one-time downtime")
    if windows is not None:
        if params.get("start") is not None or params.get("end") is not None:
            raise schedules.ScheduleError("windows", "cannot be combined with start/end; use windows for a recurring "
                                                     "downtime or start/end for a one-time downtime")
        schedule, matchers = schedules.build_recurrences(windows, timezone, now)
    else:
        schedule = schedules.build_one_time(params.get("start"), params.get("end"), timezone, now)
        matchers = None
    attributes["schedule"] = schedule
    return attributes, matchers


def _validate_scope(scope):
    # Datadog rejects a scope term without a key ("All values must have a key").
    for term in re.split(r"\s+(?:AND|OR)\s+|[()\s]+", scope):
        term = term.lstrip("-!")
        if not term or term == "*" or term.upper() in ("AND", "OR", "NOT"):
            continue
        if ":" not in term:
            raise schedules.ScheduleError("scope", "%r has a term without a key (%r); write terms as key:value, "
                                                   "for example host:web-1, or use * for every scope" % (scope, term))


def schedule_differs(current_schedule, desired_schedule, matchers, timezone):
    """Tell whether the current schedule gives other windows than the desired one."""
    current_schedule = current_schedule or {}
    if matchers is not None:
        return not schedules.recurrences_match(current_schedule, matchers, timezone)
    if "recurrences" in current_schedule:
        return True
    tz = schedules.load_timezone(timezone)
    for key in ("start", "end"):
        if key not in desired_schedule:
            if key == "end" and current_schedule.get("end") is not None:
                return True
            continue
        current_value = current_schedule.get(key)
        if current_value is None:
            return True
        expected = schedules.parse_local_datetime(desired_schedule[key], tz, key)
        try:
            have = schedules.parse_local_datetime(current_value, tz, key)
        except schedules.ScheduleError:
            return True
        if expected != have:
            return True
    return False


def changed_attributes(current, desired, matchers):
    """Return the attributes (a dict) whose values differ between the current downtime and ``desired``.

    ``current`` is the v2 ``attributes`` dict Datadog returned. Lists Datadog treats as sets are
    compared as sets; the schedule is compared window by window (see schedule_differs).
    """
    changed = {}
    for key in ("scope", "message", "display_timezone", "mute_first_recovery_notification"):
        have = current.get(key)
        if key == "display_timezone":
            have = have or "UTC"
        if key == "mute_first_recovery_notification":
            have = bool(have)
        if have != desired[key]:
            changed[key] = desired[key]
    for key in ("notify_end_states", "notify_end_types"):
        if sorted(current.get(key) or []) != desired[key]:
            changed[key] = desired[key]
    if _normalize_identifier(current.get("monitor_identifier")) != _normalize_identifier(desired["monitor_identifier"]):
        changed["monitor_identifier"] = desired["monitor_identifier"]
    timezone = desired["display_timezone"]
    if schedule_differs(current.get("schedule"), desired["schedule"], matchers, timezone):
        changed["schedule"] = desired["schedule"]
    return changed


def _normalize_identifier(identifier):
    identifier = dict(identifier or {})
    if "monitor_tags" in identifier:
        identifier["monitor_tags"] = sorted(identifier["monitor_tags"] or [])
    if "monitor_id" in identifier and identifier["monitor_id"] is not None:
        identifier["monitor_id"] = int(identifier["monitor_id"])
    return identifier


def normalize(downtime):
    """Return the view of a downtime (a v2 ``data`` item) that the module returns and diffs."""
    if downtime is None:
        return None
    attributes = downtime.get("attributes") or {}
    message, name = split_identity(attributes.get("message"))
    schedule = dict(attributes.get("schedule") or {})
    schedule.pop("current_downtime", None)
    if "recurrences" not in schedule:
        for key in ("start", "end"):
            if schedule.get(key):
                try:
                    moment = schedules.parse_local_datetime(schedule[key], schedules.load_timezone("UTC"), key)
                except schedules.ScheduleError:
                    continue
                schedule[key] = moment.astimezone(schedules.load_timezone("UTC")).isoformat()
    view = {
        "id": downtime.get("id"),
        "name": name,
        "message": message,
        "scope": attributes.get("scope"),
        "monitor_identifier": _normalize_identifier(attributes.get("monitor_identifier")),
        "timezone": attributes.get("display_timezone") or "UTC",
        "schedule": schedule,
        "notify_end_states": sorted(attributes.get("notify_end_states") or []),
        "notify_end_types": sorted(attributes.get("notify_end_types") or []),
        "mute_first_recovery_notification": bool(attributes.get("mute_first_recovery_notification")),
        "status": attributes.get("status"),
    }
    return view


def predict(current, changed, downtime_id=None):
    """Return the v2 ``data`` item that Datadog will hold after applying ``changed`` to ``current``.

    ``current`` is None for a create. Used for check mode and the diff.
    """
    attributes = dict((current or {}).get("attributes") or {})
    attributes.update(changed)
    if current is None:
        attributes.setdefault("status", "scheduled")
    return {"type": "downtime", "id": downtime_id or (current or {}).get("id"), "attributes": attributes}


def create_body(attributes):
    """Return the v2 create request body."""
    return {"data": {"type": "downtime", "attributes": attributes}}


def patch_body(downtime_id, changed):
    """Return the v2 update request body with only the changed attributes."""
    return {"data": {"type": "downtime", "id": downtime_id, "attributes": changed}}


def past_recurrence_starts(schedule, now):
    """Return the recurrence starts of ``schedule`` (local time text) that lie before ``now``."""
    if "recurrences" not in (schedule or {}):
        return []
    tz = schedules.load_timezone(schedule.get("timezone") or "UTC")
    past = []
    for recurrence in schedule["recurrences"]:
        start = recurrence.get("start")
        if start and schedules.parse_local_datetime(start, tz, "start") < now:
            past.append(start)
    return past


def view_spec():
    """Return the reconcile spec for the downtime view made by normalize()."""
    return ResourceSpec(
        "downtime",
        managed_fields=VIEW_FIELDS,
        server_fields=("schedule.current_downtime",),
        set_fields=("notify_end_states", "notify_end_types", "monitor_identifier.monitor_tags"),
    )


# Fields of the normalize() view that the module compares and diffs; id and status are server-set.
VIEW_FIELDS = ("name", "message", "scope", "monitor_identifier", "timezone", "schedule", "notify_end_states",
               "notify_end_types", "mute_first_recovery_notification")
