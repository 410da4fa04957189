"""v2 downtimes: create, get, update (PATCH), cancel (DELETE), list, with the status codes, bodies and defaults of Datadog.

Datadog behaviour reproduced here (seen in recorded responses of the real API):
* Ids are time-based UUIDs; a path id that is not a UUID answers 400.
* Defaults: ``display_timezone`` UTC, ``notify_end_states`` alert/no data/warn,
  ``notify_end_types`` expired, ``mute_first_recovery_notification`` false, ``message`` null.
* A one-time schedule without ``start`` starts at creation; a recurrence without ``start`` starts
  now, written as local time in the schedule's timezone (``YYYY-MM-DDTHH:MM``).
* ``status`` is scheduled, active, ended or canceled; recurring schedules carry
  ``current_downtime``, the ongoing or next occurrence.
* DELETE cancels: 204 with an empty body, also for a downtime already cancelled. Cancelled
  downtimes stay in the list with status canceled.
* Create and update answers carry ``relationships`` and the creator in ``included``; get and list
  answers do not, unless ``include`` asks for them.
"""

import copy
import datetime
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as dateutil_rrule

from .. import ids
from ..errors import ApiError
from ..validation import validate_body

KIND = "downtime"
CREATE_MODEL = "datadog_api_client.v2.model.downtime_create_request.DowntimeCreateRequest"
UPDATE_MODEL = "datadog_api_client.v2.model.downtime_update_request.DowntimeUpdateRequest"
CREATOR_ID = "3ad549bf-eba0-11e9-a77a-0705486660d0"
CREATOR = {
    "type": "users",
    "id": CREATOR_ID,
    "attributes": {
        "name": None, "handle": "emulator@example.com", "created_at": "2019-10-02T08:15:39.795051+00:00",
        "modified_at": "2020-06-15T12:33:12.884459+00:00", "email": "emulator@example.com",
        "icon": "https://secure.gravatar.com/avatar/00000000000000000000000000000000?s=48&d=retro",
        "title": None, "verified": True, "service_account": False, "disabled": False, "allowed_login_methods": [],
        "status": "Active",
    },
}
DEFAULT_NOTIFY_END_STATES = ["alert", "no data", "warn"]
DEFAULT_NOTIFY_END_TYPES = ["expired"]
DEFAULT_PAGE_LIMIT = 30

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DURATION_RE = re.compile(r"^(\d+)([mhdw])$")
_DURATION_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
_LOCAL_START_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_RRULE_FORBIDDEN = ("DTSTART", "DTEND", "DURATION")
# RFC 5545 ranges of the integer rule parts: (lowest magnitude, highest or None, negatives allowed).
# dateutil builds a rule with INTERVAL=0 or BYMONTHDAY=40 without an error and fails (or loops)
# only when it computes an occurrence, so these are checked before a schedule is stored.
_RRULE_INTEGERS = {
    "INTERVAL": (1, None, False), "COUNT": (1, None, False), "BYSECOND": (0, 60, False), "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False), "BYMONTH": (1, 12, False), "BYMONTHDAY": (1, 31, True), "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True), "BYSETPOS": (1, 366, True),
}
_RRULE_BYDAY_RE = re.compile(r"^(?:[+-]?(\d{1,2}))?(MO|TU|WE|TH|FR|SA|SU)$")


# -- checks Datadog makes on top of the schema --------------------------------------------------

def _check_scope(scope):
    for term in re.split(r"\s+(?:AND|OR)\s+|[()\s]+", scope or ""):
        term = term.lstrip("-!")
        if term and term != "*" and term.upper() not in ("AND", "OR", "NOT") and ":" not in term:
            raise ApiError(400, "All values must have a key")


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(400, "Invalid timezone: %s" % name)


def _duration(text):
    match = _DURATION_RE.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise ApiError(400, "Invalid duration '%s': must be a positive integer followed by m, h, d or w" % text)
    return datetime.timedelta(minutes=int(match.group(1)) * _DURATION_MINUTES[match.group(2)])


def _check_rrule(text):
    parts = [part.split("=", 1)[0].strip().upper() for part in (text or "").split(";") if part]
    for forbidden in _RRULE_FORBIDDEN:
        if forbidden in parts or (text or "").upper().startswith(forbidden):
            raise ApiError(400, "Invalid rrule: %s is not supported, use the start and duration fields" % forbidden)
    if "FREQ" not in parts:
        raise ApiError(400, "Invalid rrule '%s': FREQ is required" % text)
    for chunk in (text or "").split(";"):
        name, _sep, value = chunk.partition("=")
        name = name.strip().upper()
        for item in value.strip().upper().split(","):
            if name in _RRULE_INTEGERS:
                low, high, signed = _RRULE_INTEGERS[name]
                number = int(item) if re.match(r"^[+-]?\d+$" if signed else r"^\d+$", item) else None
                if number is None or not low <= abs(number) <= (high or abs(number)):
                    raise ApiError(400, "Invalid rrule '%s': %s=%s is out of range" % (text, name, value))
            elif name == "BYDAY":
                match = _RRULE_BYDAY_RE.match(item)
                if not match or (match.group(1) is not None and not 1 <= int(match.group(1)) <= 53):
                    raise ApiError(400, "Invalid rrule '%s': BYDAY=%s is not a weekday list" % (text, value))
    try:
        _rule(text, datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "Invalid rrule '%s': %s" % (text, exc))


def _rule(text, local_start):
    """Return a dateutil rule for ``text`` that yields aware datetimes in ``local_start``'s timezone.

    dateutil rejects an UNTIL without ``Z`` next to an aware start, so such rules run on naive
    wall-clock times, which get the timezone attached afterwards.
    """
    if re.search(r"UNTIL=\d{8}T\d{6}Z", text.upper()) or "UNTIL=" not in text.upper():
        return dateutil_rrule.rrulestr(text, dtstart=local_start)
    naive = dateutil_rrule.rrulestr(text, dtstart=local_start.replace(tzinfo=None))
    zone = local_start.tzinfo
    return _LocalizedRule(naive, zone)


class _LocalizedRule:
    """The ``before`` and ``after`` of a naive dateutil rule, in aware datetimes of one timezone."""

    def __init__(self, rule, zone):
        self.rule = rule
        self.zone = zone

    def _localize(self, moment):
        return None if moment is None else moment.replace(tzinfo=self.zone)

    def before(self, moment, inc=False):
        return self._localize(self.rule.before(moment.astimezone(self.zone).replace(tzinfo=None), inc=inc))

    def after(self, moment, inc=False):
        return self._localize(self.rule.after(moment.astimezone(self.zone).replace(tzinfo=None), inc=inc))


def _parse_instant(value, field):
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        try:
            parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, "Invalid %s: %s" % (field, value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


# -- schedules ---------------------------------------------------------------------------------

def _recurrence_schedule(schedule, now):
    timezone = schedule.get("timezone") or "UTC"
    zone = _zone(timezone)
    recurrences = []
    for item in schedule.get("recurrences") or []:
        _check_rrule(item.get("rrule"))
        _duration(item.get("duration"))
        start = item.get("start")
        if start is None:
            start = now.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        elif not _LOCAL_START_RE.match(start):
            raise ApiError(400, "Invalid recurrence start '%s': use YYYY-MM-DDTHH:MM without a UTC offset" % start)
        recurrences.append({"duration": item["duration"], "rrule": item["rrule"], "start": start[:16]})
    if not recurrences:
        raise ApiError(400, "A recurring schedule needs at least one recurrence")
    return {"recurrences": recurrences, "timezone": timezone}


def _one_time_schedule(schedule, now):
    start = _parse_instant(schedule["start"], "start") if schedule.get("start") is not None else now
    end = _parse_instant(schedule["end"], "end") if schedule.get("end") is not None else None
    if end is not None and end <= start:
        raise ApiError(400, "Downtime end must be after its start")
    return {"start": start.isoformat(), "end": end.isoformat() if end else None}


def _build_schedule(schedule, now):
    if schedule is None:
        return _one_time_schedule({}, now)
    if "recurrences" in schedule:
        return _recurrence_schedule(schedule, now)
    return _one_time_schedule(schedule, now)


def _occurrence(recurrence, zone, now):
    """Return the ongoing or next ``(start, end)`` of one recurrence in UTC, or the last one, or None."""
    local_start = datetime.datetime.fromisoformat(recurrence["start"]).replace(tzinfo=zone)
    length = _duration(recurrence["duration"])
    try:
        rule = _rule(recurrence["rrule"], local_start)
    except ValueError:
        return None
    previous = rule.before(now.astimezone(zone), inc=True)
    if previous is not None:
        begin = previous.astimezone(datetime.timezone.utc)
        if begin + length > now:
            return begin, begin + length, "active"
    following = rule.after(now.astimezone(zone))
    if following is not None:
        begin = following.astimezone(datetime.timezone.utc)
        return begin, begin + length, "scheduled"
    if previous is not None:
        begin = previous.astimezone(datetime.timezone.utc)
        return begin, begin + length, "ended"
    return None


def _refresh(attributes, now):
    """Set ``status`` (and ``current_downtime`` for recurrences) for the time ``now``."""
    _refresh_schedule(attributes, now)
    if attributes.get("canceled") is not None:
        attributes["status"] = "canceled"


def _refresh_schedule(attributes, now):
    schedule = attributes.get("schedule") or {}
    if "recurrences" in schedule:
        zone = _zone(schedule.get("timezone") or "UTC")
        found = [item for item in (_occurrence(r, zone, now) for r in schedule["recurrences"]) if item]
        rank = {"active": 0, "scheduled": 1, "ended": 2}
        found.sort(key=lambda item: (rank[item[2]], item[0] if item[2] != "ended" else -item[0].timestamp()))
        if found:
            begin, end, status = found[0]
            schedule["current_downtime"] = {"start": begin.isoformat(), "end": end.isoformat()}
            attributes["status"] = status
        else:
            attributes["status"] = "ended"
        return
    start = _parse_instant(schedule["start"], "start")
    end = _parse_instant(schedule["end"], "end") if schedule.get("end") else None
    if now < start:
        attributes["status"] = "scheduled"
    elif end is not None and now >= end:
        attributes["status"] = "ended"
    else:
        attributes["status"] = "active"


# -- response bodies -----------------------------------------------------------------------------------

def _relationships(attributes):
    monitor_id = (attributes.get("monitor_identifier") or {}).get("monitor_id")
    monitor = {"type": "monitors", "id": str(monitor_id)} if monitor_id is not None else None
    return {"created_by": {"data": {"type": "users", "id": CREATOR_ID}}, "monitor": {"data": monitor}}


def _item(stored, with_relationships):
    item = {"type": "downtime", "id": stored["id"], "attributes": copy.deepcopy(stored["attributes"])}
    _refresh(item["attributes"], ids.now())
    if with_relationships:
        item["relationships"] = _relationships(item["attributes"])
    return item


def _answer(stored, with_relationships=True):
    body = {"data": _item(stored, with_relationships)}
    if with_relationships:
        body["included"] = [copy.deepcopy(CREATOR)]
    return body


def _downtime_id(request):
    downtime_id = request.match.group("id")
    if not _UUID_RE.match(downtime_id):
        raise ApiError(400, "Invalid URL param: downtime_id must be an uuid")
    return downtime_id


# -- handlers ----------------------------------------------------------------------------------

def create_downtime(request):
    body = request.json_body()
    validate_body(body, CREATE_MODEL)
    attributes = body["data"]["attributes"]
    _check_scope(attributes["scope"])
    now = ids.now()
    stored_attributes = {
        "display_timezone": attributes.get("display_timezone") or "UTC",
        "scope": attributes["scope"],
        "notify_end_states": list(attributes.get("notify_end_states") or DEFAULT_NOTIFY_END_STATES),
        "notify_end_types": list(attributes.get("notify_end_types") or DEFAULT_NOTIFY_END_TYPES),
        "message": attributes.get("message"),
        "created": now.isoformat(),
        "modified": now.isoformat(),
        "canceled": None,
        "monitor_identifier": copy.deepcopy(attributes["monitor_identifier"]),
        "schedule": _build_schedule(attributes.get("schedule"), now),
        "mute_first_recovery_notification": bool(attributes.get("mute_first_recovery_notification", False)),
    }
    _zone(stored_attributes["display_timezone"])
    stored = {"id": ids.time_uuid(), "attributes": stored_attributes}
    with request.store.transaction() as state:
        state["objects"].setdefault(KIND, {})[stored["id"]] = stored
    return 200, _answer(stored)


def get_downtime(request):
    downtime_id = _downtime_id(request)
    stored = request.store.get_object(KIND, downtime_id)
    if stored is None:
        raise ApiError(404, "Downtime not found")
    return 200, _answer(stored, with_relationships=bool(request.params.get("include")))


def update_downtime(request):
    downtime_id = _downtime_id(request)
    body = request.json_body()
    validate_body(body, UPDATE_MODEL)
    data = body["data"]
    if data.get("id") not in (None, downtime_id):
        raise ApiError(400, "The downtime id in the body does not match the URL")
    changes = data.get("attributes") or {}
    now = ids.now()
    with request.store.transaction() as state:
        objects = state["objects"].setdefault(KIND, {})
        stored = objects.get(downtime_id)
        if stored is None:
            raise ApiError(404, "Downtime not found")
        attributes = copy.deepcopy(stored["attributes"])
        if attributes.get("canceled") is not None:
            raise ApiError(400, "Cannot update a canceled downtime")
        for key, value in changes.items():
            if key == "schedule":
                attributes["schedule"] = _patched_schedule(attributes.get("schedule") or {}, value, now)
            elif key == "scope":
                _check_scope(value)
                attributes[key] = value
            elif key == "display_timezone":
                attributes[key] = value or "UTC"
                _zone(attributes[key])
            else:
                attributes[key] = copy.deepcopy(value)
        attributes["modified"] = now.isoformat()
        stored = {"id": downtime_id, "attributes": attributes}
        objects[downtime_id] = stored
    return 200, _answer(stored)


def _patched_schedule(current, change, now):
    current = {key: value for key, value in current.items() if key != "current_downtime"}
    if "recurrences" in change or ("timezone" in change and "recurrences" in current):
        merged = {"recurrences": current.get("recurrences"), "timezone": current.get("timezone")}
        merged.update({key: value for key, value in change.items() if value is not None})
        return _recurrence_schedule(merged, now)
    if "recurrences" in current:
        return _one_time_schedule(change, now)
    merged = dict(current)
    merged.update(change)
    return _one_time_schedule(merged, now)


def cancel_downtime(request):
    downtime_id = _downtime_id(request)
    now = ids.now()
    with request.store.transaction() as state:
        stored = state["objects"].setdefault(KIND, {}).get(downtime_id)
        if stored is None:
            raise ApiError(404, "Downtime %s not found" % downtime_id)
        if stored["attributes"].get("canceled") is None:
            stored["attributes"]["canceled"] = now.isoformat()
            stored["attributes"]["status"] = "canceled"
            stored["attributes"]["modified"] = now.isoformat()
    return 204, None


def list_downtimes(request):
    params = request.params
    try:
        offset = int(params.get("page[offset]", 0))
        limit = int(params.get("page[limit]", DEFAULT_PAGE_LIMIT))
    except ValueError:
        raise ApiError(400, "page[offset] and page[limit] must be integers")
    if offset < 0 or limit < 1:
        raise ApiError(400, "page[offset] must be >= 0 and page[limit] >= 1")
    stored = sorted(request.store.list_objects(KIND), key=lambda item: (item["attributes"]["created"], item["id"]))
    items = [_item(entry, bool(params.get("include"))) for entry in stored]
    if params.get("current_only") == "true":
        items = [item for item in items if item["attributes"]["status"] == "active"]
    return 200, {"data": items[offset:offset + limit], "meta": {"page": {"total_filtered_count": len(items)}}}


ROUTES = [
    ("POST", r"/api/v2/downtime", create_downtime),
    ("GET", r"/api/v2/downtime", list_downtimes),
    ("GET", r"/api/v2/downtime/(?P<id>[^/]+)", get_downtime),
    ("PATCH", r"/api/v2/downtime/(?P<id>[^/]+)", update_downtime),
    ("DELETE", r"/api/v2/downtime/(?P<id>[^/]+)", cancel_downtime),
]
