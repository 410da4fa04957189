"""Check mode on a host without the Agent completes, predicts changes and writes nothing."""

import os

from agent_runner import (
    CONFIG_PATH,
    KEYRING_PATH,
    SOURCE_PATH,
    explain,
    installed_version,
    recap_counts,
    run_agent_playbook,
    run_teardown,
)


def test_check_mode_on_fresh_host():
    installed_before = bool(installed_version())
    teardown = run_teardown()
    assert teardown.returncode == 0, explain(teardown)
    try:
        result = run_agent_playbook(args=["--check", "--diff"])
        assert result.returncode == 0, explain(result)
        assert recap_counts(result.stdout)["changed"] >= 1
        assert "a real run refreshes the apt cache and installs datadog-agent" in result.stdout
        assert installed_version() == ""
        for path in (CONFIG_PATH, KEYRING_PATH, SOURCE_PATH):
            assert not os.path.exists(path), path
    finally:
        if installed_before:
            restore = run_agent_playbook()
            assert restore.returncode == 0, explain(restore)
