"""Run ansible-playbook from tests and read its results (used through the ``run_playbook`` fixture).

Kept out of conftest.py so that test modules can import it by name.
"""

import json
import os
import subprocess

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(REPO_ROOT, ".venv", "bin")


class PlaybookResult:
    """Outcome of one ansible-playbook run, read from the ansible.posix.json callback."""

    def __init__(self, completed):
        self.rc = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        try:
            self.report = json.loads(completed.stdout[completed.stdout.index("{"):])
        except ValueError:
            raise AssertionError("ansible-playbook printed no JSON report (rc %s):\n%s\n%s"
                                 % (completed.returncode, completed.stdout, completed.stderr))

    def tasks(self):
        """Return ``[(task name, result on the first host)]`` for every task that ran."""
        results = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                hosts = task.get("hosts", {})
                result = next(iter(hosts.values())) if hosts else {}
                results.append((task["task"]["name"], result))
        return results

    def task(self, name):
        """Return the result of the last task called ``name``."""
        matches = [result for task_name, result in self.tasks() if task_name == name]
        if not matches:
            raise AssertionError("no task %r in: %s" % (name, [entry[0] for entry in self.tasks()]))
        return matches[-1]

    @property
    def changed(self):
        return sum(stats.get("changed", 0) for stats in self.report.get("stats", {}).values())

    @property
    def failures(self):
        return sum(stats.get("failures", 0) for stats in self.report.get("stats", {}).values())


def emulator_vars(emulator):
    """Extra vars that point the datadog_objects role and the inventory's shared values at ``emulator``."""
    return {
        "datadog_api_url": emulator.url,
        "datadog_api_key": emulator.api_key,
        "datadog_app_key": emulator.app_key,
        "datadog_site": "datadoghq.com",
    }


def playbook_runner(tmp_path):
    """Return ``run(playbook, extra_vars=None, check=False, diff=False, args=(), env=None)``.

    ``playbook`` is a path or the YAML text of a playbook. Runs with the repository's ansible.cfg and
    the local inventory, the JSON callback, and the virtualenv's ansible-playbook.
    """
    counter = [0]

    def run(playbook, extra_vars=None, check=False, diff=False, args=(), env=None):
        if not os.path.exists(playbook):
            counter[0] += 1
            path = tmp_path / ("playbook_%d.yml" % counter[0])
            path.write_text(playbook)
            playbook = str(path)
        command = [os.path.join(VENV_BIN, "ansible-playbook"), playbook]
        if extra_vars:
            vars_file = tmp_path / ("vars_%d.json" % (counter[0] + 1000))
            vars_file.write_text(json.dumps(extra_vars))
            command += ["-e", "@%s" % vars_file]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        command += list(args)
        environment = dict(os.environ)
        environment.update({
            "ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_NOCOLOR": "1",
            "PATH": VENV_BIN + os.pathsep + environment.get("PATH", ""),
        })
        for name in ("DD_API_KEY", "DD_APP_KEY", "DD_SITE"):
            environment.pop(name, None)
        environment.update(env or {})
        completed = subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True,
                                   timeout=300, check=False)
        return PlaybookResult(completed)

    return run
