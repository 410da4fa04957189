# -*- coding: utf-8 -*-
"""Checks of the agent role's result, then a check-mode run and a drift run of the scenario's converge.

The expected values come from inventory/local, which the scenarios link as their inventory. The
check-mode and drift tests run ansible-playbook and edit datadog.yaml from the test process, so they
assume the molecule host is this machine (local connection), as in every scenario of this collection.
The agent scenario runs this same file through a symlink.
"""

import os
import re
import subprocess

import pytest
import yaml

CONFIG_PATH = "/etc/datadog-agent/datadog.yaml"
KEYRING_PATH = "/usr/share/keyrings/datadog-archive-keyring.gpg"
SOURCE_PATH = "/etc/apt/sources.list.d/datadog.list"
STARTS_LOG = "/var/log/datadog/standin-starts.log"
PROJECT_DIR = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCENARIO_DIR = os.environ.get("MOLECULE_SCENARIO_DIRECTORY", os.path.join(PROJECT_DIR, "molecule", "default"))
INVENTORY_DIR = os.path.join(PROJECT_DIR, "inventory", "local")


def load_group_vars(name):
    with open(os.path.join(INVENTORY_DIR, "group_vars", "all", name), encoding="utf-8") as stream:
        return yaml.safe_load(stream)


@pytest.fixture(scope="module")
def inventory_vars():
    """The literal values of inventory/local that the agent role reads."""
    values = load_group_vars("datadog.yml")
    values.update(load_group_vars("agent.yml"))
    return values


@pytest.fixture(scope="module")
def config(host):
    # The tests run as root, like the scenarios, so datadog.yaml (mode 0640) is readable.
    return yaml.safe_load(host.file(CONFIG_PATH).content_string)


def count_starts():
    with open(STARTS_LOG, encoding="utf-8") as stream:
        return len(stream.readlines())


def run_converge(*arguments):
    """Run the scenario's converge playbook the way a user runs it, and return the finished process."""
    # Molecule's ANSIBLE_* variables point at its own ansible.cfg; use the project's instead.
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=os.path.join(PROJECT_DIR, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    command = ["ansible-playbook", "-i", INVENTORY_DIR, os.path.join(SCENARIO_DIR, "converge.yml"), *arguments]
    return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1800, check=False)


def recap_counts(output):
    """Sum the PLAY RECAP counters (ok, changed, failed, ...) over all hosts."""
    recap = output.rsplit("PLAY RECAP", 1)[-1]
    totals = {}
    for name, number in re.findall(r"(\w+)=(\d+)", recap):
        totals[name] = totals.get(name, 0) + int(number)
    return totals


def test_package_installed(host):
    package = host.package("datadog-agent")
    assert package.is_installed
    assert package.version.startswith("1:7.")


def test_package_held(host):
    selection = host.check_output("dpkg --get-selections datadog-agent").split()
    assert selection == ["datadog-agent", "hold"]


def test_keyring_file(host):
    keyring = host.file(KEYRING_PATH)
    assert keyring.is_file
    assert keyring.user == "root"
    assert keyring.group == "root"
    assert keyring.mode == 0o644


def test_keyring_holds_every_key(host, inventory_vars):
    listing = host.check_output(f"gpg --show-keys --with-colons {KEYRING_PATH}")
    public_keys = [line for line in listing.splitlines() if line.startswith("pub:")]
    assert len(public_keys) == len(inventory_vars["agent_apt_key_urls"])


def test_apt_source_signed_by_keyring(host, inventory_vars):
    lines = [line for line in host.file(SOURCE_PATH).content_string.splitlines() if line.startswith("deb ")]
    repo_url = inventory_vars["agent_apt_repo_url"].replace("{{ standin_apt_repo_url }}", inventory_vars["standin_apt_repo_url"])
    assert lines == [f"deb [signed-by={KEYRING_PATH}] {repo_url} stable 7"]


def test_config_file_owner_and_mode(host):
    config_file = host.file(CONFIG_PATH)
    assert config_file.user == "dd-agent"
    assert config_file.group == "dd-agent"
    assert config_file.mode == 0o640


def test_config_tags_are_list_of_strings(config, inventory_vars):
    assert isinstance(config["tags"], list)
    assert all(isinstance(tag, str) for tag in config["tags"])
    assert config["tags"] == inventory_vars["agent_tags"]


def test_config_connection_settings(config, inventory_vars):
    assert config["api_key"] == inventory_vars["datadog_api_key"]
    assert config["site"] == inventory_vars["datadog_site"]
    assert config["hostname"] == "ddlab-local"


def test_config_apm_on_localhost_8126(config):
    assert config["apm_config"]["enabled"] is True
    assert config["apm_config"]["receiver_port"] == 8126
    assert config["apm_config"]["apm_non_local_traffic"] is False


def test_config_logs_and_process(config):
    assert config["logs_enabled"] is False
    assert config["process_config"]["process_collection"]["enabled"] is True


def test_service_running_and_enabled(host):
    service = host.service("datadog-agent")
    assert service.is_running
    assert service.is_enabled


def test_status_masks_api_key(host, inventory_vars):
    status = host.check_output("datadog-agent status")
    api_key = inventory_vars["datadog_api_key"]
    assert api_key not in status
    assert f"API Key: {'*' * (len(api_key) - 5)}{api_key[-5:]}" in status
    for tag in inventory_vars["agent_tags"]:
        assert f"    {tag}\n" in status + "\n"


def test_check_mode_reports_no_change():
    starts_before = count_starts()
    result = run_converge("--check", "--diff")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    counts = recap_counts(result.stdout)
    assert counts["failed"] == 0
    assert counts["changed"] == 0, result.stdout[-6000:]
    assert count_starts() == starts_before


def test_drift_restored_with_one_restart():
    with open(CONFIG_PATH, encoding="utf-8") as stream:
        original = stream.read()
    drifted = re.sub(r"^tags:\n(?:  - .*\n)+", "tags:\n  - great:success, datadogisthebest\n", original, flags=re.M)
    assert drifted != original
    with open(CONFIG_PATH, "w", encoding="utf-8") as stream:
        stream.write(drifted)
    starts_before = count_starts()

    corrected = run_converge()
    assert corrected.returncode == 0, corrected.stdout[-4000:] + corrected.stderr[-2000:]
    assert recap_counts(corrected.stdout)["changed"] >= 1
    with open(CONFIG_PATH, encoding="utf-8") as stream:
        assert stream.read() == original
    assert count_starts() == starts_before + 1

    rerun = run_converge()
    assert rerun.returncode == 0, rerun.stdout[-4000:] + rerun.stderr[-2000:]
    assert recap_counts(rerun.stdout)["changed"] == 0, rerun.stdout[-6000:]
    assert count_starts() == starts_before + 1
