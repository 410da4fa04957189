"""Checks of the custom_check scenario after converge and idempotence.

The tests after the first run the role again through apply.yml (check mode, a broken source,
rejected names, a second check deployed then removed) and count the restarts that the scenario's
stand-in service logged. They keep my_metric as converge left it.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(SCENARIO_DIR))
APPLY_PLAYBOOK = os.path.join(SCENARIO_DIR, "apply.yml")
ROLE_SOURCE = os.path.join(REPO_ROOT, "roles", "custom_check", "files", "checks.d", "my_metric.py")
PROBE_SOURCE = os.path.join(SCENARIO_DIR, "files", "checks.d", "molecule_probe.py")

# vars/scenario.yml sets custom_check_config_dir, custom_check_owner and custom_check_group.
OWNER = "ddlab-molecule-agent"
CHECKS_D = "/var/lib/ddlab-molecule-agent/etc/checks.d"
CONF_D = "/var/lib/ddlab-molecule-agent/etc/conf.d"
ACTIONS_LOG = "/var/lib/ddlab-molecule-agent/actions.log"
RECAP = re.compile(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")

MY_METRIC = {"name": "my_metric", "instances": [{"min_collection_interval": 45}]}


def apply_role(extra_vars=None, check_mode=False):
    """Run apply.yml with extra_vars and return (return code, output, changed count or None)."""
    command = [
        "ansible-playbook",
        "-i", "ddlab-local,",
        "-c", "local",
        "-e", "ansible_python_interpreter=" + sys.executable,
        APPLY_PLAYBOOK,
    ]
    if extra_vars is not None:
        command += ["-e", json.dumps(extra_vars)]
    if check_mode:
        command += ["--check", "--diff"]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="false")
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    recap = RECAP.search(output)
    changed = int(recap.group(2)) if recap else None
    return result.returncode, output, changed


def restart_count(host):
    """Count the restarts the stand-in service logged.

    The service module restarts a SysV service as stop then start, so each restart logs one start.
    """
    actions = host.file(ACTIONS_LOG).content_string.split()
    return sum(1 for action in actions if action in ("start", "restart"))


def test_converge_restarted_agent_once(host):
    # Converge changed two files and idempotence changed none: one restart in all.
    assert restart_count(host) == 1


@pytest.mark.parametrize(
    "path, mode",
    [
        (CHECKS_D + "/my_metric.py", 0o644),
        (CONF_D + "/my_metric.yaml", 0o640),
    ],
)
def test_check_file_owner_and_mode(host, path, mode):
    deployed = host.file(path)
    assert deployed.is_file
    assert deployed.user == OWNER
    assert deployed.group == OWNER
    assert deployed.mode == mode


def test_source_is_the_shipped_check(host):
    with open(ROLE_SOURCE, encoding="utf-8") as shipped:
        assert host.file(CHECKS_D + "/my_metric.py").content_string == shipped.read()


def test_interval_set_on_instance(host):
    config = yaml.safe_load(host.file(CONF_D + "/my_metric.yaml").content_string)
    assert config["instances"] == [{"min_collection_interval": 45}]
    assert "min_collection_interval" not in (config["init_config"] or {})


def test_check_mode_after_converge_changes_nothing(host):
    restarts = restart_count(host)
    returncode, output, changed = apply_role(check_mode=True)
    assert returncode == 0, output
    assert changed == 0, output
    assert restart_count(host) == restarts


def test_check_mode_predicts_interval_change(host):
    restarts = restart_count(host)
    before = host.file(CONF_D + "/my_metric.yaml").content_string
    returncode, output, changed = apply_role(
        {"custom_check_checks": [{"name": "my_metric", "instances": [{"min_collection_interval": 60}]}]},
        check_mode=True,
    )
    assert returncode == 0, output
    # The configuration file and the handler.
    assert changed == 2, output
    assert "+  - min_collection_interval: 60" in output
    assert host.file(CONF_D + "/my_metric.yaml").content_string == before
    assert restart_count(host) == restarts


def test_syntax_error_keeps_deployed_source(host, tmp_path):
    broken = tmp_path / "my_metric.py"
    broken.write_text("def check(self, instance:\n    pass\n", encoding="utf-8")
    restarts = restart_count(host)
    before = host.file(CHECKS_D + "/my_metric.py").sha256sum
    returncode, output, changed = apply_role(
        {"custom_check_checks": [dict(MY_METRIC, source=str(broken))]},
    )
    assert returncode != 0, output
    assert changed == 0, output
    assert "failed to validate" in output
    assert "SyntaxError" in output
    assert host.file(CHECKS_D + "/my_metric.py").sha256sum == before
    assert restart_count(host) == restarts


@pytest.mark.parametrize(
    "check, message",
    [
        ({"name": "mysql"}, "custom_mysql"),
        ({"name": "disk"}, "custom_disk"),
        ({"name": "Network"}, "custom_Network"),
        ({"name": "my-metric"}, "Invalid check name"),
        ({"name": "9lives"}, "Invalid check name"),
        ({"name": "my_metric", "init_config": {"min_collection_interval": 45}}, "Agent 6 and"),
        ({"name": "my_metric", "instances": [{"min_collection_interval": 0}]}, "Invalid min_collection_interval"),
        ({"name": "my_metric", "instances": [{"min_collection_interval": "45s"}]}, "Invalid min_collection_interval"),
    ],
)
def test_invalid_check_rejected_before_changes(host, check, message):
    restarts = restart_count(host)
    before = host.file(CONF_D + "/my_metric.yaml").content_string
    returncode, output, changed = apply_role({"custom_check_checks": [check]})
    assert returncode != 0, output
    assert message in output
    assert changed == 0, output
    assert host.file(CONF_D + "/my_metric.yaml").content_string == before
    assert restart_count(host) == restarts


def test_missing_compile_python_rejected(host):
    restarts = restart_count(host)
    returncode, output, changed = apply_role({"custom_check_python": "/nonexistent/bin/python3"})
    assert returncode != 0, output
    assert "custom_check_python is /nonexistent/bin/python3" in output
    assert changed == 0, output
    assert restart_count(host) == restarts


def test_duplicate_names_rejected(host):
    returncode, output, changed = apply_role({"custom_check_checks": [MY_METRIC, MY_METRIC]})
    assert returncode != 0, output
    assert "more than once: my_metric" in output
    assert changed == 0, output


def test_absent_check_removes_both_files(host):
    probe_present = {"name": "molecule_probe", "source": PROBE_SOURCE, "instances": [{"tags": ["probe:yes"]}]}
    probe_absent = {"name": "molecule_probe", "state": "absent"}
    unmanaged = CONF_D + "/molecule_unmanaged.yaml"
    my_metric_before = host.file(CONF_D + "/my_metric.yaml").content_string

    returncode, output, changed = apply_role({"custom_check_checks": [probe_present]})
    assert returncode == 0, output
    # Two new files and one handler run.
    assert changed == 3, output
    assert host.file(CHECKS_D + "/molecule_probe.py").is_file
    probe_config = yaml.safe_load(host.file(CONF_D + "/molecule_probe.yaml").content_string)
    assert probe_config["instances"] == [{"min_collection_interval": 15, "tags": ["probe:yes"]}]

    host.run_expect([0], "echo 'instances: [{}]' > " + unmanaged)
    try:
        restarts = restart_count(host)
        returncode, output, changed = apply_role({"custom_check_checks": [probe_absent]})
        assert returncode == 0, output
        # Two file removals and one handler run.
        assert changed == 3, output
        assert not host.file(CHECKS_D + "/molecule_probe.py").exists
        assert not host.file(CONF_D + "/molecule_probe.yaml").exists
        assert restart_count(host) == restarts + 1
        assert host.file(unmanaged).exists
        assert host.file(CONF_D + "/my_metric.yaml").content_string == my_metric_before

        returncode, output, changed = apply_role({"custom_check_checks": [probe_absent]})
        assert returncode == 0, output
        assert changed == 0, output
        assert restart_count(host) == restarts + 1
    finally:
        host.run("rm -f " + unmanaged)
