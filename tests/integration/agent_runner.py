"""Run playbooks/agent.yml against this machine for the agent tests, and read the state it leaves.

Runs use the default stdout callback (the human-readable output), because the secret tests inspect exactly
that text. Each test module gets ``converged_agent``: the Agent converged with inventory/local before
the first test, and after the last test either converged again (when it was installed before) or
removed with the scenario teardown (when it was not). A test module uses it with::

    converged_agent = agent_runner.converged_agent
    pytestmark = pytest.mark.usefixtures("converged_agent")
"""

import json
import os
import re
import subprocess
import tempfile

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(REPO_ROOT, ".venv", "bin")
PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "agent.yml")
TEARDOWN_TASKS = os.path.join(REPO_ROOT, "molecule", "default", "cleanup.d", "10-agent.yml")
CONFIG_PATH = "/etc/datadog-agent/datadog.yaml"
KEYRING_PATH = "/usr/share/keyrings/datadog-archive-keyring.gpg"
SOURCE_PATH = "/etc/apt/sources.list.d/datadog.list"
STARTS_LOG = "/var/log/datadog/standin-starts.log"


def run_agent_playbook(extra_vars=None, args=(), playbook=PLAYBOOK):
    """Run ``playbook`` with inventory/local, extra vars from a JSON file, and return the finished process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_NOCOLOR="1",
        PATH=VENV_BIN + os.pathsep + env.get("PATH", ""),
    )
    with tempfile.TemporaryDirectory() as scratch:
        command = [os.path.join(VENV_BIN, "ansible-playbook"), playbook]
        if extra_vars is not None:
            vars_path = os.path.join(scratch, "vars.json")
            with open(vars_path, "w", encoding="utf-8") as stream:
                json.dump(extra_vars, stream)
            command += ["-e", "@" + vars_path]
        command += list(args)
        return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=900, check=False)


def recap_counts(output):
    """Sum the PLAY RECAP counters (ok, changed, failed, ...) over all hosts."""
    totals = {}
    for name, number in re.findall(r"(\w+)=(\d+)", output.rsplit("PLAY RECAP", 1)[-1]):
        totals[name] = totals.get(name, 0) + int(number)
    return totals


def explain(result):
    """Return the tail of a run's output for an assertion message."""
    return "rc %s\n%s\n%s" % (result.returncode, result.stdout[-5000:], result.stderr[-2000:])


def installed_version():
    """Return the installed datadog-agent version, or '' when it is not installed."""
    query = subprocess.run(["dpkg-query", "--show", "--showformat=${db:Status-Status} ${Version}", "datadog-agent"],
                           capture_output=True, text=True, check=False)
    status, version = (query.stdout.split(" ", 1) + [""])[:2]
    return version if status == "installed" else ""


def package_selection():
    output = subprocess.run(["dpkg", "--get-selections", "datadog-agent"], capture_output=True, text=True,
                            check=True).stdout.split()
    return output[1] if len(output) == 2 else ""


def count_starts():
    if not os.path.exists(STARTS_LOG):
        return 0
    with open(STARTS_LOG, encoding="utf-8") as stream:
        return len(stream.readlines())


def file_state(path):
    """Return (content, mtime in ns) of ``path``, to prove a run left it alone."""
    with open(path, "rb") as stream:
        content = stream.read()
    return content, os.stat(path).st_mtime_ns


def run_teardown():
    """Remove the Agent, its apt source and keyring with the molecule scenarios' teardown tasks."""
    playbook = (
        "- name: Remove the Agent\n"
        "  hosts: datadog_hosts\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Run the agent teardown\n"
        "      ansible.builtin.include_tasks: %s\n" % TEARDOWN_TASKS
    )
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="agent-teardown-") as stream:
        stream.write(playbook)
        stream.flush()
        return run_agent_playbook(playbook=stream.name)


@pytest.fixture(scope="module")
def converged_agent():
    """Converge the Agent with inventory/local; restore or remove it after the module's tests."""
    installed_before = bool(installed_version())
    result = run_agent_playbook()
    assert result.returncode == 0, explain(result)
    yield
    if installed_before:
        restore = run_agent_playbook()
    else:
        restore = run_teardown()
    assert restore.returncode == 0, explain(restore)
