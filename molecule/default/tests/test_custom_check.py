"""The my_metric custom check as site.yml deploys it next to the Agent."""

import os

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SHIPPED_SOURCE = os.path.join(REPO_ROOT, "roles", "custom_check", "files", "checks.d", "my_metric.py")
SOURCE = "/etc/datadog-agent/checks.d/my_metric.py"
CONFIG = "/etc/datadog-agent/conf.d/my_metric.yaml"
AGENT_PYTHON = "/opt/datadog-agent/embedded/bin/python3"


@pytest.mark.parametrize("path, mode", [(SOURCE, 0o644), (CONFIG, 0o640)])
def test_my_metric_file_owner_and_mode(host, path, mode):
    deployed = host.file(path)
    assert deployed.is_file
    assert deployed.user == "dd-agent"
    assert deployed.group == "dd-agent"
    assert deployed.mode == mode


def test_my_metric_source_is_shipped_check(host):
    with open(SHIPPED_SOURCE, encoding="utf-8") as shipped:
        assert host.file(SOURCE).content_string == shipped.read()


def test_my_metric_interval_on_instance(host):
    config = yaml.safe_load(host.file(CONFIG).content_string)
    assert len(config["instances"]) == 1
    assert config["instances"][0]["min_collection_interval"] == 45
    assert "min_collection_interval" not in (config["init_config"] or {})


def test_my_metric_source_compiles(host):
    python = AGENT_PYTHON if host.file(AGENT_PYTHON).is_file else "python3"
    # compile() reads the file without writing a .pyc next to it.
    host.run_expect([0], python + " -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], \"exec\")' " + SOURCE)


def test_my_metric_config_passes_agent_configcheck(host):
    result = host.run_expect([0], "datadog-agent configcheck")
    assert CONFIG + ": ok" in result.stdout
