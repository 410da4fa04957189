#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: datadog_monitor
short_description: Create, update and delete Datadog monitors idempotently
version_added: 0.1.0
description:
  - Manages one Datadog monitor through the v1 Monitor API, found by its exact O(name) or by O(id).
  - Reads the monitor, normalizes the current and the desired form, and writes only when they differ.
    A run without a difference makes no write request. Check mode makes no write request either and
    reports the change a real run would make.
  - The comparison ignores server-set fields (id, created, modified, creator, overall_state, multi,
    options.silenced), compares thresholds as numbers (V(800) equals V(800.0)) and tags as a set, and
    applies Datadog's option defaults to both sides. V(metric alert) and V(query alert) are the same type.
  - The monitor options are managed as a whole, because Datadog replaces them whole on update. An option
    left unset here is reset to Datadog's default, including one set in the Datadog UI.
  - Before any API call, the parameters are checked against Datadog's monitor rules, and each problem
    is reported with the field and the fix.
author:
  - ddlab maintainers (@ddlab)
extends_documentation_fragment:
  - ddlab.observability.datadog
attributes:
  check_mode:
    support: full
    description: Makes no write request and reports the change and the diff that a real run would make.
  diff_mode:
    support: full
    description: Shows the normalized monitor before and after.
  idempotent:
    support: full
    description: A second run with the same parameters reports no change and sends no write request.
options:
  state:
    description:
      - V(present) creates or updates the monitor, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Exact name of the monitor. The module finds the monitor by this name unless O(id) is given.
      - When two or more monitors have this name, the module fails and lists their ids; delete the
        duplicates or pass O(id).
      - Required to create a monitor. With O(id), a different name renames the monitor.
      - A monitor renamed in the Datadog UI is no longer found by this name, so a run without O(id) creates
        a new monitor next to it. Pass O(id) to keep managing a monitor whose name may change outside
        Ansible; the module then renames it back.
    type: str
  id:
    description:
      - Id of an existing monitor. When set, the monitor is found by id instead of by name.
      - With O(state=present), an id that does not exist is an error, because Datadog chooses the ids
        of new monitors.
    type: int
  type:
    description:
      - Monitor type. V(metric alert) and V(query alert) are the same to Datadog, which may return either.
      - Required with O(state=present).
    type: str
    choices:
      - audit alert
      - ci-pipelines alert
      - ci-tests alert
      - composite
      - cost alert
      - data-jobs alert
      - data-quality alert
      - database-monitoring alert
      - error-tracking alert
      - event alert
      - event-v2 alert
      - llm-observability alert
      - log alert
      - metric alert
      - network-path alert
      - network-performance alert
      - process alert
      - query alert
      - rum alert
      - service check
      - slo alert
      - synthetics alert
      - trace-analytics alert
  query:
    description:
      - Monitor query. For metric, query and log alerts it ends with a comparator and the alert threshold,
        which must equal O(thresholds.critical), for example V(avg(last_5m\):avg:my_metric{*} > 800).
      - Required with O(state=present).
    type: str
  notification_message:
    description:
      - The monitor's C(message) field (Ansible reserves the option name C(message)).
      - Notification message, sent to the API byte for byte. It may contain Datadog template variables
        such as C({{#is_alert}}), C({{value}}) and C({{host.ip}}) and C(@) notification handles.
      - Ansible templates strings with Jinja, which uses the same C({{ }}) syntax. Mark the value
        C(!unsafe) in YAML (see EXAMPLES) so that Jinja leaves the Datadog variables alone.
      - When unset, the current message is kept.
    type: str
  tags:
    description:
      - Monitor tags, each V(key:value) or a bare value, compared as a set. When unset, the current tags are kept.
    type: list
    elements: str
  priority:
    description:
      - Priority from 1 (highest) to 5 (lowest). When unset, the current priority is kept.
    type: int
  thresholds:
    description:
      - Alert thresholds. For a query with C(>) or C(>=), O(thresholds.warning) is below
        O(thresholds.critical); with C(<) or C(<=) it is above. Recovery thresholds lie on the
        non-alerting side of the threshold they belong to.
    type: dict
    suboptions:
      critical:
        description: Alert threshold; equals the number at the end of O(query).
        type: float
      warning:
        description: Warning threshold.
        type: float
      critical_recovery:
        description: Value at which an alert recovers.
        type: float
      warning_recovery:
        description: Value at which a warning recovers; needs O(thresholds.warning).
        type: float
  notify_no_data:
    description: Whether to notify when the monitor's data stops arriving. Datadog's default is V(false).
    type: bool
  no_data_timeframe:
    description:
      - Minutes without data before a no-data notification; needs O(notify_no_data=true). For metric
        monitors Datadog requires at least twice the query window.
    type: int
  renotify_interval:
    description: Minutes after which an unresolved alert notifies again; V(0) or unset means never.
    type: int
  renotify_statuses:
    description: States that re-notify; needs O(renotify_interval).
    type: list
    elements: str
    choices: [alert, warn, no data]
  renotify_occurrences:
    description: How many times to re-notify; needs O(renotify_interval).
    type: int
  evaluation_delay:
    description: Seconds to delay evaluation, for metrics that arrive late (for example cloud metrics).
    type: int
  require_full_window:
    description: Whether a full window of data is needed before evaluation. Datadog's default is V(false).
    type: bool
  include_tags:
    description: Whether notification titles include the triggering tags. Datadog's default is V(true).
    type: bool
  notify_audit:
    description: Whether tagged users are notified when the monitor changes. Datadog's default is V(false).
    type: bool
  new_group_delay:
    description: Seconds to wait before evaluating new groups, so that starting hosts do not alert.
    type: int
  threshold_windows:
    description: Alerting windows of an C(anomalies(\)) query, which requires them.
    type: dict
    suboptions:
      trigger_window:
        description: Window that must be anomalous to alert, for example V(last_15m).
        type: str
      recovery_window:
        description: Window that must be normal to recover, for example V(last_15m).
        type: str
seealso:
  - name: Datadog Monitors API
    description: The v1 Monitor API reference, with every option and its default.
    link: https://docs.datadoghq.com/api/latest/monitors/
  - name: Datadog notification template variables
    description: The variables a monitor message may contain.
    link: https://docs.datadoghq.com/monitors/notify/variables/
"""

EXAMPLES = r"""
- name: Alert when my_metric is high on a host
  ddlab.observability.datadog_monitor:
    name: my_metric is high on {{ inventory_hostname }}
    type: metric alert
    query: avg(last_5m):avg:my_metric{host:{{ inventory_hostname }}} > 800
    # !unsafe keeps Jinja away from the Datadog template variables: the API gets this text unchanged.
    notification_message: !unsafe |
      {{#is_alert}}my_metric is {{value}} on {{host.ip}}, above 800.{{/is_alert}}
      {{#is_warning}}my_metric is {{value}} on {{host.ip}}, above 500.{{/is_warning}}
      {{#is_no_data}}my_metric has sent no data for 10 minutes.{{/is_no_data}}
      @ops@example.com
    tags:
      - team:ops
    thresholds:
      critical: 800
      warning: 500
    notify_no_data: true
    no_data_timeframe: 10
    api_key: "{{ datadog_api_key }}"
    app_key: "{{ datadog_app_key }}"
    site: datadoghq.eu

- name: Delete a monitor by id, keys from DD_API_KEY and DD_APP_KEY
  ddlab.observability.datadog_monitor:
    id: 123456789
    state: absent
"""

RETURN = r"""
id:
  description: Id of the monitor; null when it does not exist (absent, or about to be created in check mode).
  returned: always
  type: int
  sample: 109995008
name:
  description: Name of the monitor.
  returned: always
  type: str
  sample: my_metric is high on web-1
monitor:
  description:
    - The normalized monitor after the run (in check mode, the prediction), as compared by the module.
    - Empty when the monitor is absent.
  returned: always
  type: dict
  sample:
    name: my_metric is high on web-1
    type: query alert
    query: avg(last_5m):avg:my_metric{host:web-1} > 800
    message: "{{#is_alert}}...{{/is_alert}}"
    tags: [team:ops]
    options:
      thresholds: {critical: 800, warning: 500}
      notify_no_data: true
      no_data_timeframe: 10
      notify_audit: false
      include_tags: true
      new_host_delay: 300
      groupby_simple_monitor: false
      require_full_window: false
link:
  description: URL of the monitor in the Datadog web app (with O(api_url), under that URL).
  returned: when the monitor exists after the run
  type: str
  sample: https://app.datadoghq.com/monitors/109995008
changed_paths:
  description: Dotted paths of the normalized monitor that differ between before and after.
  returned: always
  type: list
  elements: str
  sample: [options.thresholds.warning]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ddlab.observability.plugins.module_utils.datadog_api import (
    DatadogAPIError,
    DatadogClient,
    datadog_argument_spec,
)
from ansible_collections.ddlab.observability.plugins.module_utils.datadog_monitor import (
    MONITOR_SPEC,
    MONITOR_TYPES,
    build_monitor_body,
    validate_monitor_params,
)
from ansible_collections.ddlab.observability.plugins.module_utils.datadog_reconcile import reconcile

# Datadog's maximum page size for GET /api/v1/monitor.
PAGE_SIZE = 1000


def argument_spec():
    spec = datadog_argument_spec()
    spec.update(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str"),
        id=dict(type="int"),
        type=dict(type="str", choices=list(MONITOR_TYPES)),
        query=dict(type="str"),
        notification_message=dict(type="str"),
        tags=dict(type="list", elements="str"),
        priority=dict(type="int"),
        thresholds=dict(
            type="dict",
            options=dict(
                critical=dict(type="float"),
                warning=dict(type="float"),
                critical_recovery=dict(type="float"),
                warning_recovery=dict(type="float"),
            ),
        ),
        notify_no_data=dict(type="bool"),
        no_data_timeframe=dict(type="int"),
        renotify_interval=dict(type="int"),
        renotify_statuses=dict(type="list", elements="str", choices=["alert", "warn", "no data"]),
        renotify_occurrences=dict(type="int"),
        evaluation_delay=dict(type="int"),
        require_full_window=dict(type="bool"),
        include_tags=dict(type="bool"),
        notify_audit=dict(type="bool"),
        new_group_delay=dict(type="int"),
        threshold_windows=dict(
            type="dict",
            options=dict(trigger_window=dict(type="str"), recovery_window=dict(type="str")),
        ),
    )
    return spec


def find_by_name(client, name):
    """Return every monitor whose name equals ``name`` exactly (the API filter matches substrings)."""
    matches = []
    page = 0
    while True:
        batch = client.request("GET", "monitor", params={"name": name, "page": page, "page_size": PAGE_SIZE}) or []
        matches.extend(monitor for monitor in batch if monitor.get("name") == name)
        if len(batch) < PAGE_SIZE:
            return matches
        page += 1


def find_monitor(module, client):
    """Return the current monitor or None; fail when the name is ambiguous or the id is unknown."""
    params = module.params
    if params["id"] is not None:
        current = client.get_or_none("monitor/%d" % params["id"])
        if current is None and params["state"] == "present":
            module.fail_json(
                msg="Monitor id %d was not found. Remove id to create a new monitor named %r; Datadog chooses "
                "the ids of new monitors." % (params["id"], params["name"]),
                id=params["id"],
            )
        return current
    matches = find_by_name(client, params["name"])
    if len(matches) > 1:
        ids = sorted(monitor["id"] for monitor in matches)
        module.fail_json(
            msg="%d monitors are named %r (ids: %s). Delete the duplicates in Datadog or pass id to choose one."
            % (len(ids), params["name"], ", ".join(str(i) for i in ids)),
            ids=ids,
        )
    return matches[0] if matches else None


def run_module():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_one_of=[("name", "id")],
        required_if=[("state", "present", ("type", "query"))],
    )
    params = module.params

    problems = validate_monitor_params(params)
    if problems:
        module.fail_json(msg="Invalid monitor parameters: " + " ".join(problems), problems=problems)

    client = DatadogClient(module)
    try:
        current = find_monitor(module, client)
        if current is None and params["state"] == "present" and not params["name"]:
            module.fail_json(msg="name is required to create a monitor: set name.")
        desired = build_monitor_body(params, current) if params["state"] == "present" else None
        monitor_id = current["id"] if current else None

        def create():
            return client.create(
                "monitor", desired, find_existing=lambda: _single_or_none(find_by_name(client, desired["name"]))
            )

        def update():
            return client.request("PUT", "monitor/%d" % monitor_id, body=desired)

        def delete():
            client.delete_if_exists("monitor/%d" % monitor_id)

        result = reconcile(module, MONITOR_SPEC, params["state"], current, desired, create, update, delete)
    except DatadogAPIError as exc:
        client.fail(exc)

    final = result["object"] or {}
    final_id = final.get("id")
    output = dict(
        changed=result["changed"],
        id=final_id,
        name=final.get("name") if final else (current or {}).get("name", params["name"]),
        monitor=result["after"],
        changed_paths=result["changed_paths"],
    )
    if final_id is not None:
        output["link"] = "%s/monitors/%s" % (client.app_url, final_id)
    if "diff" in result:
        output["diff"] = result["diff"]
    module.exit_json(**output)


def _single_or_none(monitors):
    return monitors[0] if len(monitors) == 1 else None


def main():
    run_module()


if __name__ == "__main__":
    main()
