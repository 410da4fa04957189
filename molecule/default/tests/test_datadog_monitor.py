"""The my_metric monitor as site.yml creates it in the Datadog API emulator.

Reads the emulator's stored monitors through its admin API (tests/standins/datadog_api) at the
datadog_api_url of inventory/local; the checks are skipped when the emulator is not reachable.
"""

import json
import os
import urllib.error
import urllib.request

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SHARED_VARS = os.path.join(REPO_ROOT, "inventory", "local", "group_vars", "all", "datadog.yml")
MONITOR_NAME = "my_metric is high on ddlab-local"


@pytest.fixture(scope="module")
def monitor():
    """Return the one stored monitor with the seed's name."""
    with open(SHARED_VARS, encoding="utf-8") as handle:
        url = yaml.safe_load(handle)["datadog_api_url"].rstrip("/")
    try:
        with urllib.request.urlopen(url + "/_emulator/objects/monitor", timeout=10) as response:
            monitors = json.loads(response.read())
    except (urllib.error.URLError, OSError) as exc:
        pytest.skip("Datadog API emulator not reachable at %s: %s" % (url, exc))
    named = [item for item in monitors if item["name"] == MONITOR_NAME]
    assert len(named) == 1, [item["name"] for item in monitors]
    return named[0]


def test_monitor_query(monitor):
    assert monitor["type"] == "query alert"
    assert monitor["query"] == "avg(last_5m):avg:my_metric{host:ddlab-local} by {host} > 800"


def test_monitor_thresholds(monitor):
    assert monitor["options"]["thresholds"] == {"critical": 800.0, "warning": 500.0}


def test_monitor_no_data(monitor):
    assert monitor["options"]["notify_no_data"] is True
    assert monitor["options"]["no_data_timeframe"] == 10


@pytest.mark.parametrize("text", ["{{#is_alert}}", "{{#is_warning}}", "{{#is_no_data}}", "{{value}}",
                                  "{{host.ip}}", "@ops@example.com"])
def test_monitor_message(monitor, text):
    assert text in monitor["message"]


def test_monitor_message_ends_with_handle(monitor):
    assert monitor["message"].endswith("{{/is_recovery}}\n@ops@example.com")
