"""The APM and Infrastructure dashboard of the datadog_objects role against the Datadog API emulator."""

PLAYBOOK = """
- name: Manage the APM and Infrastructure dashboard only
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Run the APM dashboard tasks of datadog_objects
      ansible.builtin.include_role:
        name: ddlab.observability.datadog_objects
        tasks_from: apm_dashboard.yml
"""
TASK = "ddlab.observability.datadog_objects : Manage the APM and Infrastructure dashboard"
SERVICE_FILTER = "{service:ddlab-test-flask,env:ci}"


def role_vars(emulator):
    return {
        "datadog_objects_api_url": emulator.url,
        "datadog_objects_api_key": emulator.api_key,
        "datadog_objects_app_key": emulator.app_key,
        "datadog_objects_apm_dashboard_service": "ddlab-test-flask",
        "datadog_objects_apm_dashboard_env": "ci",
        "datadog_objects_monitor_host": "web-1",
    }


def group_queries(dashboard, group_title_start):
    """Return the queries of the group widget whose title starts with group_title_start, in order."""
    (group,) = [widget["definition"] for widget in dashboard["widgets"]
                if widget["definition"]["title"].startswith(group_title_start)]
    assert group["type"] == "group"
    return [request["q"] for widget in group["widgets"] for request in widget["definition"]["requests"]]


def test_apm_dashboard_check_mode_writes_nothing(datadog_emulator, run_playbook):
    result = run_playbook(PLAYBOOK, extra_vars=role_vars(datadog_emulator), check=True)
    assert result.rc == 0, result.stdout
    assert result.task(TASK)["changed"] is True
    assert datadog_emulator.write_requests() == []
    assert datadog_emulator.objects("dashboard") == []


def test_apm_dashboard_created_then_unchanged(datadog_emulator, run_playbook):
    created = run_playbook(PLAYBOOK, extra_vars=role_vars(datadog_emulator))
    assert created.rc == 0, created.stdout
    assert created.task(TASK)["changed"] is True

    (dashboard,) = datadog_emulator.objects("dashboard")
    assert dashboard["title"] == "APM and Infrastructure"
    assert dashboard["layout_type"] == "ordered"
    assert group_queries(dashboard, "Flask service ddlab-test-flask") == [
        f"sum:trace.flask.request.hits{SERVICE_FILTER} by {{resource_name}}.as_count()",
        f"sum:trace.flask.request.errors{SERVICE_FILTER} by {{resource_name}}.as_count()",
        f"sum:trace.flask.request.duration{SERVICE_FILTER} by {{resource_name}}.as_count()"
        f" / sum:trace.flask.request.hits{SERVICE_FILTER} by {{resource_name}}.as_count()",
    ]
    assert group_queries(dashboard, "Host web-1") == [
        "avg:system.cpu.user{host:web-1}",
        "avg:system.cpu.system{host:web-1}",
        "avg:system.cpu.iowait{host:web-1}",
        "avg:system.mem.used{host:web-1}",
        "avg:system.mem.usable{host:web-1}",
        "avg:mysql.performance.com_select{host:web-1}",
    ]

    datadog_emulator.clear_requests()
    again = run_playbook(PLAYBOOK, extra_vars=role_vars(datadog_emulator))
    assert again.rc == 0, again.stdout
    assert again.changed == 0
    checked = run_playbook(PLAYBOOK, extra_vars=role_vars(datadog_emulator), check=True)
    assert checked.changed == 0
    assert datadog_emulator.write_requests() == []
