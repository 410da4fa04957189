"""v1 downtimes (deprecated by Datadog in favour of v2 downtime schedules): create, get, cancel.

The modules use v2; this resource exists so that recorded v1 traffic replays against the emulator.
"""

import copy
import time
import uuid

from .. import ids
from ..errors import ApiError
from ..validation import validate_body

KIND = "downtime_v1"
ORG_ID = 321813
CREATOR_ID = 1445416
WEEK_DAYS = frozenset(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])


def create_downtime(request):
    body = request.json_body()
    validate_body(body, "datadog_api_client.v1.model.downtime.Downtime")
    recurrence = body.get("recurrence")
    if recurrence and recurrence.get("week_days") and not set(recurrence["week_days"]) <= WEEK_DAYS:
        raise ApiError(400, "Invalid set of days in week_days. Be sure that the first letter is capitalized.")
    now = int(time.time())
    with request.store.transaction() as state:
        downtime_id = ids.next_int_id(state, KIND, start=2900000000)
        stored_recurrence = None
        if recurrence:
            stored_recurrence = {
                "type": recurrence.get("type"),
                "period": recurrence.get("period"),
                "week_days": recurrence.get("week_days"),
                "until_occurrences": recurrence.get("until_occurrences"),
                "until_date": recurrence.get("until_date"),
            }
        downtime = {
            "id": downtime_id,
            "monitor_id": body.get("monitor_id"),
            "org_id": ORG_ID,
            "start": body.get("start") or now,
            "end": body.get("end"),
            "canceled": None,
            "created": now,
            "modified": now,
            "message": body.get("message"),
            "active": True,
            "disabled": False,
            "recurrence": stored_recurrence,
            "timezone": body.get("timezone") or "UTC",
            "parent_id": None,
            "child_id": None,
            "creator_id": CREATOR_ID,
            "updater_id": None,
            "downtime_type": 2,
            "status": "active",
            "monitor_tags": list(body.get("monitor_tags") or ["*"]),
            "mute_first_recovery_notification": bool(body.get("mute_first_recovery_notification", False)),
            "notify_end_types": list(body.get("notify_end_types") or ["expired"]),
            "notify_end_states": list(body.get("notify_end_states") or ["alert", "no data", "warn"]),
            "uuid": str(uuid.uuid1()),
            "scope": list(body.get("scope") or ["*"]),
        }
        state["objects"].setdefault(KIND, {})[str(downtime_id)] = downtime
    return 200, copy.deepcopy(downtime)


def get_downtime(request):
    downtime = request.store.get_object(KIND, request.match.group("id"))
    if downtime is None:
        raise ApiError(404, "Downtime not found")
    return 200, downtime


def cancel_downtime(request):
    downtime_id = request.match.group("id")
    with request.store.transaction() as state:
        downtime = state["objects"].setdefault(KIND, {}).get(downtime_id)
        if downtime is None:
            raise ApiError(404, "Downtime not found")
        downtime["canceled"] = int(time.time())
        downtime["active"] = False
        downtime["status"] = "canceled"
    return 204, None


ROUTES = [
    ("POST", r"/api/v1/downtime", create_downtime),
    ("GET", r"/api/v1/downtime/(?P<id>\d+)", get_downtime),
    ("DELETE", r"/api/v1/downtime/(?P<id>\d+)", cancel_downtime),
]
