"""The API key never appears in ansible-playbook output, also not with -vvv --diff."""

import uuid

import pytest

import agent_runner
from agent_runner import (
    CONFIG_PATH,
    explain,
    recap_counts,
    run_agent_playbook,
)

converged_agent = agent_runner.converged_agent
pytestmark = pytest.mark.usefixtures("converged_agent")


def sentinel_key():
    """Return an API key-shaped value that appears nowhere else."""
    return "sentinel" + uuid.uuid4().hex[:24]


def test_key_hidden_in_verbose_diff_run():
    key = sentinel_key()
    result = run_agent_playbook({"agent_api_key": key}, args=["-vvv", "--diff"])
    assert result.returncode == 0, explain(result)
    # The run really wrote the key, so the template, its diff and the restart all ran.
    assert recap_counts(result.stdout)["changed"] >= 1
    with open(CONFIG_PATH, encoding="utf-8") as stream:
        assert key in stream.read()
    assert key not in result.stdout
    assert key not in result.stderr


def test_key_hidden_in_verbose_check_diff_run():
    key = sentinel_key()
    result = run_agent_playbook({"agent_api_key": key}, args=["-vvv", "--diff", "--check"])
    assert result.returncode == 0, explain(result)
    assert recap_counts(result.stdout)["changed"] >= 1
    assert key not in result.stdout
    assert key not in result.stderr


def test_key_hidden_when_run_fails():
    key = sentinel_key()
    result = run_agent_playbook({"agent_api_key": key, "agent_tags": ["bad, tag"]}, args=["-vvv", "--diff"])
    assert result.returncode != 0, explain(result)
    assert key not in result.stdout
    assert key not in result.stderr
