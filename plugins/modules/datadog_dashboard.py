#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: datadog_dashboard
short_description: Create, update and delete Datadog dashboards idempotently
version_added: 0.1.0
description:
  - Manages one Datadog dashboard through the v1 Dashboard API, found by its exact O(title) or by O(id).
  - Reads the dashboard, normalizes the current and the desired form, and writes only when they differ.
    A run without a difference makes no write request. Check mode makes no write request either and
    reports the change a real run would make.
  - With O(identity), the module also keeps a key on the dashboard (the last line of its description), and
    finds the dashboard by that key first, so that a dashboard renamed in the Datadog UI is found again
    and renamed back instead of created a second time.
  - The comparison ignores server-set fields (id, url, author, created and modified times, widget ids)
    and treats null, empty and missing values the same. Fields left unset here keep their current value.
  - Accepts the legacy Timeboard format in O(graphs) (each graph with C(title) and C(definition.viz) and
    C(definition.requests[].q)) and converts it to an ordered dashboard, the same dashboard that the
    native form in O(widgets) gives.
  - Before any API call, the parameters are checked against Datadog's layout rules, and each problem is
    reported with the field and the fix.
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
    description: Shows the normalized dashboard before and after.
  idempotent:
    support: full
    description: A second run with the same parameters reports no change and sends no write request.
options:
  state:
    description:
      - V(present) creates or updates the dashboard, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  title:
    description:
      - Exact title of the dashboard. The module finds the dashboard by this title unless O(id) is given.
      - When two or more dashboards have this title, the module fails and lists their ids; delete the
        duplicates or pass O(id).
      - Required with O(state=present). With O(id), a different title renames the dashboard.
    type: str
  id:
    description:
      - Id of an existing dashboard, such as V(abc-def-ghi). When set, the dashboard is found by id
        instead of by title.
      - With O(state=present), an id that does not exist is an error, because Datadog chooses the ids of
        new dashboards.
    type: str
  identity:
    description:
      - "Stable key of the dashboard, unique in the organization, kept as the last line of its description
        (C(ansible-dashboard-id: <identity>)). One line, without leading or trailing spaces."
      - When set, the module looks for the dashboard carrying this key first and by O(title) only when none
        does; a title changed in the Datadog UI is then restored. The description becomes managed,
        which is O(description) (empty when unset) followed by the identity line.
      - When two or more dashboards carry the key, the module fails and lists their ids.
    type: str
  description:
    description:
      - Description shown at the top of the dashboard (Markdown). When unset, the current one is kept
        (unless O(identity) is set).
    type: str
  layout_type:
    description:
      - V(ordered) arranges widgets in a grid; V(free) places each widget where its C(layout) says.
      - When unset, a new dashboard is V(ordered) and an existing one is compared as V(ordered).
      - Not allowed with O(graphs), which always gives an ordered dashboard.
    type: str
    choices: [ordered, free]
  reflow_type:
    description:
      - For V(ordered) dashboards only. V(fixed) needs a C(layout) on every widget; V(auto) takes none and
        arranges the widgets itself.
      - When unset, the widgets must either all have a layout or none.
    type: str
    choices: [auto, fixed]
  widgets:
    description:
      - Widgets in the Dashboard API form, each a mapping with C(definition) (with C(type)) and, depending on
        the layout, C(layout) (C(x), C(y), C(width), C(height)).
      - V(free) layouts and V(ordered) with O(reflow_type=fixed) need a C(layout) on every widget, group
        members included; O(reflow_type=auto) takes none.
      - C(x) and C(y) are whole numbers of 0 or more, C(width) and C(height) whole numbers of 1 or more.
      - C(definition.type) must be a widget type of the Dashboard API, such as V(timeseries), V(query_value),
        V(note) or V(group); an unknown type fails with the list of known ones.
      - Required with O(state=present) unless O(graphs) is given.
    type: list
    elements: dict
  graphs:
    description:
      - Widgets in the legacy Timeboard form, converted to an ordered dashboard. Each graph has C(title) and
        C(definition) with C(viz) (V(timeseries), V(query_value), V(toplist), V(heatmap), V(distribution) or
        V(change)) and C(requests), each with C(q) and optionally C(type) (line, bars, area), C(style),
        C(aggregator) and C(conditional_formats).
      - Mutually exclusive with O(widgets).
    type: list
    elements: dict
  template_variables:
    description:
      - Template variables, each with C(name), optionally C(prefix) (the tag key, such as V(host)),
        C(defaults) (a list) and C(available_values). The legacy C(default) string is accepted too and
        becomes a one-item C(defaults) list.
      - When unset, the current ones are kept; an empty list removes them.
    type: list
    elements: dict
  tags:
    description:
      - Team tags of the dashboard, each V(team:<name>), because Datadog documents dashboard tags as the
        teams that own the dashboard. Compared as a set. When unset, the current tags are kept.
    type: list
    elements: str
  notify_list:
    description:
      - Handles of users notified when the dashboard changes. When unset, the current list is kept.
    type: list
    elements: str
notes:
  - An update sends the whole dashboard (Datadog's PUT replaces it), built from the current dashboard and
    the fields set here. Widgets are sent without their ids, so Datadog may give them new ids.
seealso:
  - name: Datadog Dashboards API
    description: The v1 Dashboard API reference, with every widget definition.
    link: https://docs.datadoghq.com/api/latest/dashboards/
  - name: Datadog widgets
    description: The widget types and their options.
    link: https://docs.datadoghq.com/dashboards/widgets/
"""

EXAMPLES = r"""
- name: Timeboard with three timeseries graphs and a host template variable
  ddlab.observability.datadog_dashboard:
    title: Datadog Assignment Timeboard
    # Found by this key even after someone renames it in the Datadog UI.
    identity: assignment-timeboard
    description: my_metric on one host, MySQL selects with anomaly bounds, my_metric summed per hour.
    layout_type: ordered
    reflow_type: auto
    widgets:
      - definition:
          type: timeseries
          title: my_metric on web-1
          requests:
            - q: avg:my_metric{host:web-1}
              display_type: line
      - definition:
          type: timeseries
          title: MySQL selects with anomaly bounds
          requests:
            - q: anomalies(avg:mysql.performance.com_select{*}, 'basic', 2)
      - definition:
          type: timeseries
          title: my_metric summed per hour
          requests:
            - q: avg:my_metric{*}.rollup(sum, 3600)
              display_type: bars
    template_variables:
      - name: host
        prefix: host
        defaults: [web-1]
    api_key: "{{ datadog_api_key }}"
    app_key: "{{ datadog_app_key }}"

- name: The same kind of board written in the legacy Timeboard form
  ddlab.observability.datadog_dashboard:
    title: Legacy timeboard
    graphs:
      - title: my_metric on web-1
        definition:
          viz: timeseries
          requests:
            - q: avg:my_metric{host:web-1}
              type: line
    template_variables:
      - name: host
        prefix: host
        default: web-1

- name: Delete a dashboard by id, keys from DD_API_KEY and DD_APP_KEY
  ddlab.observability.datadog_dashboard:
    id: abc-def-ghi
    state: absent
"""

RETURN = r"""
id:
  description: Id of the dashboard; null when it does not exist (absent, or about to be created in check mode).
  returned: always
  type: str
  sample: abc-def-ghi
title:
  description: Title of the dashboard.
  returned: always
  type: str
  sample: Datadog Assignment Timeboard
url:
  description: URL of the dashboard in the Datadog web app (with O(api_url), under that URL).
  returned: when the dashboard exists after the run
  type: str
  sample: https://app.datadoghq.com/dashboard/abc-def-ghi/datadog-assignment-timeboard
dashboard:
  description:
    - The normalized dashboard after the run (in check mode, the prediction), limited to the fields this
      task sets, as compared by the module. Empty when the dashboard is absent.
  returned: always
  type: dict
  sample:
    title: Datadog Assignment Timeboard
    layout_type: ordered
    widgets:
      - definition:
          type: timeseries
          requests: [{q: "avg:my_metric{host:web-1}"}]
    template_variables: [{name: host, prefix: host, defaults: [web-1]}]
changed_paths:
  description: Dotted paths of the normalized dashboard that differ between before and after.
  returned: always
  type: list
  elements: str
  sample: [title]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ddlab.observability.plugins.module_utils.dashboard import (
    DashboardError,
    build_desired,
    comparable,
    identity_of,
    request_body,
    resource_spec,
)
from ansible_collections.ddlab.observability.plugins.module_utils.datadog_api import (
    DatadogAPIError,
    DatadogClient,
    datadog_argument_spec,
)
from ansible_collections.ddlab.observability.plugins.module_utils.datadog_reconcile import reconcile

# Page size for GET /api/v1/dashboard (Datadog's client pages with 100 by default).
PAGE_SIZE = 100
DESIRED_FIELDS = ("identity", "title", "description", "layout_type", "reflow_type", "widgets", "graphs", "template_variables",
                  "tags", "notify_list")


def argument_spec():
    spec = datadog_argument_spec()
    spec.update(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        title=dict(type="str"),
        id=dict(type="str"),
        identity=dict(type="str"),
        description=dict(type="str"),
        layout_type=dict(type="str", choices=["ordered", "free"]),
        reflow_type=dict(type="str", choices=["auto", "fixed"]),
        widgets=dict(type="list", elements="dict"),
        graphs=dict(type="list", elements="dict"),
        template_variables=dict(type="list", elements="dict"),
        tags=dict(type="list", elements="str"),
        notify_list=dict(type="list", elements="str"),
    )
    return spec


def list_dashboards(client):
    """Return the summaries (id, title, description, ...) of every dashboard."""
    summaries = []
    start = 0
    while True:
        page = client.request("GET", "dashboard", params={"start": start, "count": PAGE_SIZE}) or {}
        batch = page.get("dashboards") or []
        summaries.extend(batch)
        if len(batch) < PAGE_SIZE:
            return summaries
        start += PAGE_SIZE


def find_summaries(client, title, identity):
    """Return the summaries of the dashboards carrying ``identity`` or, when none does, titled ``title``."""
    summaries = list_dashboards(client)
    if identity:
        matches = [summary for summary in summaries if identity_of(summary.get("description")) == identity]
        if matches:
            return matches, "identity %r" % identity
    return [summary for summary in summaries if summary.get("title") == title], "title %r" % title


def find_dashboard(module, client):
    """Return the current dashboard or None; fail when the title is ambiguous or the id is unknown."""
    params = module.params
    if params["id"]:
        current = client.get_or_none("dashboard/%s" % params["id"])
        if current is None and params["state"] == "present":
            module.fail_json(
                msg="Dashboard id %s was not found. Remove id to create a new dashboard titled %r; Datadog chooses "
                "the ids of new dashboards." % (params["id"], params["title"]),
                id=params["id"],
            )
        return current
    matches, found_by = find_summaries(client, params["title"], params["identity"])
    if len(matches) > 1:
        ids = sorted(summary["id"] for summary in matches)
        module.fail_json(
            msg="%d dashboards have the %s (ids: %s). Delete the duplicates in Datadog or pass id to choose one."
            % (len(ids), found_by, ", ".join(ids)),
            ids=ids,
        )
    if not matches:
        return None
    return client.get_or_none("dashboard/%s" % matches[0]["id"])


def run_module():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_one_of=[("title", "id")],
        required_if=[("state", "present", ("title",))],
        mutually_exclusive=[("widgets", "graphs")],
    )
    params = module.params
    if params["id"] is not None and not params["id"].strip():
        module.fail_json(msg="id is empty: remove id to find the dashboard by title (or identity), or give the "
                         "dashboard's id such as abc-def-ghi")

    desired = None
    if params["state"] == "present":
        try:
            desired = build_desired(dict((key, params[key]) for key in DESIRED_FIELDS))
        except DashboardError as exc:
            module.fail_json(msg="Invalid dashboard parameters: %s" % exc, field=exc.field)

    client = DatadogClient(module)
    try:
        current = find_dashboard(module, client)
        dashboard_id = current["id"] if current else None
        # For a delete, the diff shows every managed field of the dashboard that goes away.
        spec = resource_spec(desired or comparable(current) or {})

        def find_created():
            matches, _found_by = find_summaries(client, desired["title"], params["identity"])
            if len(matches) != 1:
                return None
            return client.get_or_none("dashboard/%s" % matches[0]["id"])

        def create():
            return comparable(client.create("dashboard", request_body(desired, None), find_existing=find_created))

        def update():
            return comparable(client.request("PUT", "dashboard/%s" % dashboard_id, body=request_body(desired, current)))

        def delete():
            client.delete_if_exists("dashboard/%s" % dashboard_id)

        result = reconcile(module, spec, params["state"], comparable(current), comparable(desired), create, update,
                           delete)
    except DatadogAPIError as exc:
        client.fail(exc)

    final = result["object"] or {}
    output = dict(
        changed=result["changed"],
        id=final.get("id"),
        title=final.get("title") or (current or {}).get("title") or params["title"],
        dashboard=result["after"],
        changed_paths=result["changed_paths"],
    )
    if final.get("url"):
        output["url"] = client.app_url + final["url"]
    if "diff" in result:
        output["diff"] = result["diff"]
    module.exit_json(**output)


def main():
    run_module()


if __name__ == "__main__":
    main()
