"""Version pin, hold and downgrade of the datadog-agent package, against the stand-in repository.

The stand-in repository serves 1:7.52.0-1 and 1:7.53.0-1; inventory/local pins nothing, so the
baseline is the newest. The tests run in file order and each starts from the state the previous left.
"""

import subprocess

import pytest

import agent_runner
from agent_runner import (
    SOURCE_PATH,
    count_starts,
    explain,
    installed_version,
    package_selection,
    recap_counts,
    run_agent_playbook,
)

converged_agent = agent_runner.converged_agent
pytestmark = pytest.mark.usefixtures("converged_agent")

OLD = "1:7.52.0-1"
NEW = "1:7.53.0-1"


def simulate_upgrade(*options):
    """Simulate `apt-get upgrade` with only the Datadog source, so nothing else on the machine is considered."""
    command = ["apt-get", "--simulate", "-o", "Dir::Etc::sourcelist=" + SOURCE_PATH,
               "-o", "Dir::Etc::sourceparts=-", *options, "upgrade"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_baseline_is_newest_and_held():
    assert installed_version() == NEW
    assert package_selection() == "hold"


def test_downgrade_without_flag_fails():
    starts_before = count_starts()
    result = run_agent_playbook({"agent_version": OLD})
    assert result.returncode != 0, explain(result)
    assert "agent_allow_downgrade" in result.stdout, explain(result)
    assert NEW in result.stdout
    assert recap_counts(result.stdout)["changed"] == 0
    assert installed_version() == NEW
    assert count_starts() == starts_before


def test_downgrade_with_flag_short_form():
    starts_before = count_starts()
    result = run_agent_playbook({"agent_version": "7.52.0", "agent_allow_downgrade": True})
    assert result.returncode == 0, explain(result)
    assert installed_version() == OLD
    assert package_selection() == "hold"
    assert count_starts() == starts_before + 1


def test_pinned_rerun_changes_nothing():
    starts_before = count_starts()
    for version in ("7.52.0", OLD):
        result = run_agent_playbook({"agent_version": version})
        assert result.returncode == 0, explain(result)
        assert recap_counts(result.stdout)["changed"] == 0, explain(result)
    assert count_starts() == starts_before


def test_hold_keeps_version_through_upgrade():
    ignoring_hold = simulate_upgrade("--ignore-hold")
    assert "Inst datadog-agent [%s] (%s" % (OLD, NEW) in ignoring_hold
    honoring_hold = simulate_upgrade()
    assert "Inst datadog-agent" not in honoring_hold
    assert "datadog-agent" in honoring_hold


def test_upgrade_to_new_pin():
    starts_before = count_starts()
    result = run_agent_playbook({"agent_version": NEW})
    assert result.returncode == 0, explain(result)
    assert installed_version() == NEW
    assert package_selection() == "hold"
    assert count_starts() == starts_before + 1


def test_unpinned_run_keeps_installed():
    result = run_agent_playbook()
    assert result.returncode == 0, explain(result)
    assert recap_counts(result.stdout)["changed"] == 0, explain(result)
    assert installed_version() == NEW
