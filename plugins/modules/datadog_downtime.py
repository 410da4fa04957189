#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: datadog_downtime
short_description: Schedule, update and cancel Datadog downtimes idempotently, with schedules in human terms
version_added: 0.1.0
description:
  - Manages one Datadog downtime through the v2 Downtime API (the v1 downtime API is deprecated).
  - "Identity: Datadog gives downtimes no name, so the module keeps O(name) on the downtime itself, as the
    last line of its message: C(ansible-downtime-id: <name>). A later run lists the downtimes and finds the
    one carrying that line, even when its id has changed. Keep that line when editing the message in the
    Datadog UI. Cancelled downtimes never count as present."
  - Recurring schedules are written in human terms in O(windows) (days of the week, a start time and an end
    time or a duration, in O(timezone)) and converted to Datadog's RRULE, start and duration. A window that
    crosses midnight, such as 19:00 to 09:00, is one 14-hour window starting on each listed day. A raw
    RRULE is accepted too, and a one-time downtime takes O(start) and O(end).
  - Reads the downtime, compares it window by window, and writes only the attributes that differ. A run
    without a difference makes no write request. Check mode makes no write request either and reports
    the change a real run would make.
  - Before any API call, the parameters are checked (timezone, day names, times, durations, RRULE parts,
    scope), and each problem is reported with the field and the fix.
author:
  - ddlab maintainers (@ddlab)
extends_documentation_fragment:
  - ddlab.observability.datadog
attributes:
  check_mode:
    support: full
    description:
      - Makes no write request and reports the change and the diff that a real run would make.
      - When O(monitor) names a monitor that does not exist yet (for example because an earlier task that
        creates it also ran in check mode), the module warns and predicts a create.
  diff_mode:
    support: full
    description: Shows the normalized downtime before and after.
  idempotent:
    support: full
    description: A second run with the same parameters reports no change and sends no write request.
options:
  state:
    description:
      - V(present) schedules or updates the downtime, V(absent) cancels it. A cancelled downtime is never
        reused; V(present) after V(absent) schedules a new one.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - "Identity key of the downtime, unique in the organization, kept as the last line of the message
        (C(ansible-downtime-id: <name>)). One line, without leading or trailing spaces."
      - When two or more active or scheduled downtimes carry this name, the module fails and lists their ids.
    type: str
    required: true
  id:
    description:
      - Id (a UUID) of an existing downtime. When set, the downtime is found by id instead of by O(name),
        and an update also writes the identity line of O(name) into its message.
    type: str
  notification_message:
    description:
      - Message of the downtime, sent with its notifications, for example C(@ops@example.com). The identity
        line is appended to it.
    type: str
    default: ""
  scope:
    description:
      - Scope the downtime applies to, in Datadog's search syntax, for example V(host:web-1) or V(env:prod);
        V(*) for every scope. Each term needs a key. An empty string is an error, not V(*).
    type: str
    default: "*"
  monitor_id:
    description: Id of the monitor to silence.
    type: int
  monitor:
    description:
      - Exact name of the monitor to silence, resolved to its id through the API. More than one monitor with
        this name is an error listing their ids.
    type: str
  monitor_tags:
    description:
      - Silence every monitor that carries all of these tags; V(*) silences every monitor. An empty list is
        an error.
    type: list
    elements: str
  timezone:
    description:
      - IANA timezone of the windows, O(start) and O(end), for example V(UTC), V(Europe/Berlin) or
        V(America/New_York). Also the timezone Datadog shows the downtime in.
      - Only canonical IANA names and V(UTC) are accepted; V(localtime), V(Factory), names under C(posix/)
        or C(right/) and an empty string are errors.
    type: str
    default: UTC
  windows:
    description:
      - Recurring windows of one downtime. Each is either O(windows[].days) with O(windows[].start) and
        O(windows[].end) or O(windows[].duration), or a raw O(windows[].rrule) with O(windows[].duration).
      - The start of a weekly window is the next time it begins, at or after the time of the run, so it is
        never in the past. A later run compares the day and time of the start, not its date, so it does
        not move an existing window forward.
      - A recurrence starts at its next occurrence. A first run during a window, for example on a Tuesday at
        22:00 for a 19:00 to 09:00 window, does not silence the window already in progress; the downtime
        begins with the next window. For the current night, add a one-time downtime with O(start) and O(end).
      - An empty list is an error; give at least one window, or O(start) and O(end) without O(windows) for a
        one-time downtime.
      - Mutually exclusive with O(start) and O(end).
    type: list
    elements: dict
    suboptions:
      days:
        description:
          - Days the window starts on, V(mon) to V(sun), full names, or V(weekdays), V(weekend), V(daily).
        type: list
        elements: str
      start:
        description:
          - With O(windows[].days), the local time the window starts, V(HH:MM) on a 24-hour clock.
          - With O(windows[].rrule), an optional local date and time of the first occurrence, such as
            V(2026-12-24T18:00); without it, Datadog starts the recurrence when it is created.
          - A start in the past is an error when the module would create the downtime or change its
            schedule, in check mode too; an unchanged downtime whose start has passed stays valid.
        type: str
      end:
        description:
          - Local time the window ends, V(HH:MM); an end at or before the start time is on the next day, so
            V(19:00) to V(09:00) lasts 14 hours. V(24:00) is the end of the start day.
          - The length is measured on the clock face.
        type: str
      duration:
        description:
          - Length of the window instead of O(windows[].end), such as V(14h), V(90m), V(1d) or V(1w).
        type: str
      rrule:
        description:
          - Raw RFC 5545 recurrence rule without C(DTSTART), C(DTEND) or C(DURATION), which Datadog does not
            accept, for example V(FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO).
          - Each part is checked against RFC 5545 before any API call, for example C(INTERVAL) and C(COUNT)
            as integers of 1 or more and C(BYDAY) as days with an optional number from 1 to 53 or -53 to
            -1 (V(1MO), V(-1FR)).
        type: str
  start:
    description:
      - Start of a one-time downtime, as an ISO 8601 date and time; without an offset it is local time in
        O(timezone). When unset, the downtime starts when it is created.
    type: str
  end:
    description:
      - End of a one-time downtime, like O(start). When unset (and O(windows) too), the downtime lasts until
        it is cancelled.
    type: str
  notify_end_states:
    description: Monitor states that send a notification when the downtime ends or is cancelled.
    type: list
    elements: str
    choices: [alert, no data, warn]
    default: [alert, no data, warn]
  notify_end_types:
    description: Ends of the downtime that send those notifications.
    type: list
    elements: str
    choices: [canceled, expired]
    default: [expired]
  mute_first_recovery_notification:
    description: Whether the first recovery notification during the downtime is muted.
    type: bool
    default: false
notes:
  - On a night when the clocks change, a window keeps its clock-face length (14h for 19:00 to 09:00);
    whether it then ends an hour early or late in local time depends on how Datadog applies the duration.
seealso:
  - name: Datadog Downtimes API (v2)
    description: The v2 Downtime API reference, with the schedule formats.
    link: https://docs.datadoghq.com/api/latest/downtimes/
  - name: Downtime examples
    description: Datadog's examples of recurring downtimes with RRULE.
    link: https://docs.datadoghq.com/monitors/downtimes/examples/
"""

EXAMPLES = r"""
- name: Silence the my_metric monitor on weeknights
  ddlab.observability.datadog_downtime:
    name: my_metric weeknights
    monitor: my_metric is high
    notification_message: Quiet hours. @ops@example.com
    timezone: Europe/Berlin
    windows:
      - days: [mon, tue, wed, thu, fri]
        start: "19:00"
        end: "09:00"
    api_key: "{{ datadog_api_key }}"
    app_key: "{{ datadog_app_key }}"

- name: Silence every monitor tagged team:ops all weekend, plus the first Monday of each month
  ddlab.observability.datadog_downtime:
    name: ops weekend
    monitor_tags: [team:ops]
    scope: env:prod
    windows:
      - days: [weekend]
        start: "00:00"
        end: "24:00"
      - rrule: FREQ=MONTHLY;BYSETPOS=1;BYDAY=MO
        duration: 1d
        start: "2027-01-04T00:00"

- name: One-time maintenance window on one host
  ddlab.observability.datadog_downtime:
    name: web-1 disk swap
    monitor_id: 123456789
    scope: host:web-1
    timezone: America/New_York
    start: "2026-12-24T18:00"
    end: "2026-12-24T22:00"

- name: Cancel a downtime, keys from DD_API_KEY and DD_APP_KEY
  ddlab.observability.datadog_downtime:
    name: web-1 disk swap
    state: absent
"""

RETURN = r"""
id:
  description: Id of the downtime; null when it does not exist (cancelled, or about to be created in check mode).
  returned: always
  type: str
  sample: 3c1f2a6e-9b1d-11ef-8c2d-0242ac120002
name:
  description: Identity key of the downtime (O(name)).
  returned: always
  type: str
  sample: my_metric weeknights
status:
  description: Datadog's status of the downtime after the run (active, scheduled, ended), null when absent or predicted.
  returned: always
  type: str
  sample: scheduled
downtime:
  description:
    - The normalized downtime after the run (in check mode, the prediction), as compared by the module; the
      message (C(message), the O(notification_message)) without the identity line. Empty when absent.
  returned: always
  type: dict
  sample:
    name: my_metric weeknights
    message: Quiet hours.
    scope: "*"
    monitor_identifier: {monitor_id: 123456789}
    timezone: UTC
    schedule:
      timezone: UTC
      recurrences:
        - rrule: FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR
          start: "2026-12-07T19:00"
          duration: 14h
    notify_end_states: [alert, no data, warn]
    notify_end_types: [expired]
    mute_first_recovery_notification: false
changed_paths:
  description: Dotted paths of the normalized downtime that differ between before and after.
  returned: always
  type: list
  elements: str
  sample: [schedule.recurrences]
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ddlab.observability.plugins.module_utils import downtime as downtimes
from ansible_collections.ddlab.observability.plugins.module_utils.datadog_api import (
    DatadogAPIError,
    DatadogClient,
    datadog_argument_spec,
)
from ansible_collections.ddlab.observability.plugins.module_utils.datadog_reconcile import reconcile
from ansible_collections.ddlab.observability.plugins.module_utils.downtime_schedule import ScheduleError

PAGE_LIMIT = 100
MONITOR_PAGE_SIZE = 1000


def argument_spec():
    spec = datadog_argument_spec()
    spec.update(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        id=dict(type="str"),
        notification_message=dict(type="str", default=""),
        scope=dict(type="str", default="*"),
        monitor_id=dict(type="int"),
        monitor=dict(type="str"),
        monitor_tags=dict(type="list", elements="str"),
        timezone=dict(type="str", default="UTC"),
        windows=dict(
            type="list",
            elements="dict",
            options=dict(
                days=dict(type="list", elements="str"),
                start=dict(type="str"),
                end=dict(type="str"),
                duration=dict(type="str"),
                rrule=dict(type="str"),
            ),
        ),
        start=dict(type="str"),
        end=dict(type="str"),
        notify_end_states=dict(type="list", elements="str", choices=["alert", "no data", "warn"],
                               default=["alert", "no data", "warn"]),
        notify_end_types=dict(type="list", elements="str", choices=["canceled", "expired"], default=["expired"]),
        mute_first_recovery_notification=dict(type="bool", default=False),
    )
    return spec


def list_downtimes(client):
    """Return every downtime of the organization (v2 ``data`` items), cancelled ones included."""
    items = []
    offset = 0
    while True:
        page = client.request("GET", "downtime", params={"page[offset]": offset, "page[limit]": PAGE_LIMIT},
                              api_version="v2") or {}
        batch = page.get("data") or []
        items.extend(batch)
        if len(batch) < PAGE_LIMIT:
            return items
        offset += PAGE_LIMIT


def find_downtime(module, client):
    """Return the current downtime (a v2 ``data`` item) or None; fail when the name is ambiguous."""
    params = module.params
    if params["id"]:
        answer = client.get_or_none("downtime/%s" % params["id"], api_version="v2")
        current = (answer or {}).get("data")
        if current is not None and downtimes.is_cancelled(current):
            if params["state"] == "present":
                module.fail_json(msg="Downtime %s is cancelled, and Datadog cannot restore it. Remove id to schedule "
                                 "a new downtime named %r." % (params["id"], params["name"]), id=params["id"])
            return None
        if current is None and params["state"] == "present":
            module.fail_json(msg="Downtime id %s was not found. Remove id to schedule a new downtime named %r; "
                             "Datadog chooses the ids of new downtimes." % (params["id"], params["name"]),
                             id=params["id"])
        return current
    matches = downtimes.find_by_identity(list_downtimes(client), params["name"])
    if len(matches) > 1:
        ids = sorted(item["id"] for item in matches)
        module.fail_json(msg="%d downtimes carry the name %r (ids: %s). Cancel the duplicates in Datadog or pass id "
                         "to choose one." % (len(ids), params["name"], ", ".join(ids)), ids=ids)
    return matches[0] if matches else None


def resolve_monitor(module, client):
    """Return the ``monitor_identifier`` for the monitor options, looking names and ids up in the API."""
    params = module.params
    if params["monitor_tags"] is not None:
        return {"monitor_tags": params["monitor_tags"]}
    if params["monitor_id"] is not None:
        if client.get_or_none("monitor/%d" % params["monitor_id"]) is None:
            module.fail_json(msg="Monitor id %d was not found; check monitor_id, or give the monitor's name in "
                             "monitor." % params["monitor_id"], monitor_id=params["monitor_id"])
        return {"monitor_id": params["monitor_id"]}
    name = params["monitor"]
    matches = []
    page = 0
    while True:
        batch = client.request("GET", "monitor", params={"name": name, "page": page,
                                                         "page_size": MONITOR_PAGE_SIZE}) or []
        matches.extend(monitor for monitor in batch if monitor.get("name") == name)
        if len(batch) < MONITOR_PAGE_SIZE:
            break
        page += 1
    if len(matches) > 1:
        ids = sorted(monitor["id"] for monitor in matches)
        module.fail_json(msg="%d monitors are named %r (ids: %s). Delete the duplicates or give monitor_id."
                         % (len(ids), name, ", ".join(str(i) for i in ids)), monitor_ids=ids)
    if not matches:
        if module.check_mode:
            module.warn("Monitor %r does not exist yet; a real run fails unless an earlier task creates it. "
                        "Check mode predicts the downtime as if it did." % name)
            return {"monitor_id": None}
        module.fail_json(msg="No monitor is named %r. Create the monitor first (for example with "
                         "ddlab.observability.datadog_monitor earlier in the play), or fix monitor." % name,
                         monitor=name)
    return {"monitor_id": matches[0]["id"]}


def run_module():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("monitor_id", "monitor", "monitor_tags"), ("windows", "start"), ("windows", "end")],
        required_if=[("state", "present", ("monitor_id", "monitor", "monitor_tags"), True)],
    )
    params = module.params
    now = datetime.datetime.now(datetime.timezone.utc)
    if params["id"] is not None and not params["id"].strip():
        module.fail_json(msg="id is empty: remove id to find the downtime by name, or give the downtime's id (a UUID)")

    desired = matchers = None
    if params["state"] == "present":
        try:
            # The monitor is resolved later; a placeholder lets every other check run before any API call.
            desired, matchers = downtimes.build_desired(params, {"monitor_id": 0}, now)
        except ScheduleError as exc:
            module.fail_json(msg="Invalid downtime parameters: %s" % exc, field=exc.field)
    elif params["state"] == "absent":
        try:
            downtimes.validate_name(params["name"])
        except ScheduleError as exc:
            module.fail_json(msg="Invalid downtime parameters: %s" % exc, field=exc.field)

    client = DatadogClient(module)
    try:
        current = find_downtime(module, client)
        current_id = current["id"] if current else None
        changed_attributes = None
        desired_view = None
        if desired is not None:
            desired["monitor_identifier"] = resolve_monitor(module, client)
            if current is None:
                desired_view = downtimes.normalize({"id": None, "attributes": desired})
            else:
                changed_attributes = downtimes.changed_attributes(current["attributes"], desired, matchers)
                desired_view = downtimes.normalize(downtimes.predict(current, changed_attributes))
            # Datadog rejects a recurrence start in the past, but only when the schedule is written, so an
            # unchanged downtime whose start has since passed stays valid. Checked here, after the read and
            # before any write, so that check mode fails exactly where a real run would.
            if current is None or "schedule" in changed_attributes:
                past = downtimes.past_recurrence_starts(desired["schedule"], now)
                if past:
                    module.fail_json(msg="windows: start %s is in the past; give a later start or omit it so that "
                                     "the recurrence starts when it is scheduled." % ", ".join(past), field="windows")

        def settled_view(answer):
            # Datadog fills in values the request left out, such as a start or the current occurrence.
            # When the stored downtime gives the requested windows, the view shows the request, so the
            # comparison after the write reports no difference.
            item = answer["data"]
            if not downtimes.changed_attributes(item["attributes"], desired, matchers):
                return dict(desired_view, id=item["id"], status=item["attributes"].get("status"))
            return downtimes.normalize(item)

        def find_created():
            matches = downtimes.find_by_identity(list_downtimes(client), params["name"])
            return {"data": matches[0]} if len(matches) == 1 else None

        def create():
            answer = client.create("downtime", downtimes.create_body(desired), find_existing=find_created,
                                   api_version="v2")
            return settled_view(answer)

        def update():
            answer = client.request("PATCH", "downtime/%s" % current_id,
                                    body=downtimes.patch_body(current_id, changed_attributes), api_version="v2")
            return settled_view(answer)

        def delete():
            client.delete_if_exists("downtime/%s" % current_id, api_version="v2")

        result = reconcile(module, downtimes.view_spec(), params["state"], downtimes.normalize(current), desired_view,
                           create, update, delete)
    except DatadogAPIError as exc:
        client.fail(exc)

    final = result["object"] or {}
    output = dict(
        changed=result["changed"],
        id=final.get("id"),
        name=params["name"],
        status=final.get("status"),
        downtime=result["after"],
        changed_paths=result["changed_paths"],
    )
    if "diff" in result:
        output["diff"] = result["diff"]
    module.exit_json(**output)


def main():
    run_module()


if __name__ == "__main__":
    main()
