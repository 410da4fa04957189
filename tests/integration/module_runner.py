"""Run the collection's modules against the Datadog API emulator: as playbook tasks, or one module call.

Playbook tasks run through the ``run_playbook`` fixture of conftest.py (the ``ansible.posix.json``
callback), so each task's result comes back as a dict.
A single module call runs the module file with its arguments in a JSON file, as Ansible does, but
without starting ansible-playbook. The invalid-input tables use it to keep their run time short.
"""

import json
import os
import subprocess
import sys
import time

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_PATH = os.path.join(REPO_ROOT, ".venv", "collections")
MODULES = os.path.join(REPO_ROOT, "plugins", "modules")


def connection(emulator):
    """Return the connection options that point a module at ``emulator``."""
    return {"api_url": emulator.url, "api_key": emulator.api_key, "app_key": emulator.app_key}


def _module_environment():
    """Return the environment of a module process: the collection importable, no DD_* keys."""
    env = dict(os.environ)
    env["PYTHONPATH"] = COLLECTIONS_PATH
    for name in ("DD_API_KEY", "DD_APP_KEY", "DD_SITE"):
        env.pop(name, None)
    return env


def run_tasks(run_playbook, tasks, check=False, diff=False):
    """Run ``tasks`` in one play on localhost with the ``run_playbook`` fixture; return the task results.

    Each result dict gets ``task`` (the task name). A failed task stops the play unless it has
    ``ignore_errors``; the caller asserts on ``failed``.
    """
    playbook = yaml.safe_dump([{"name": "Run under test", "hosts": "localhost", "connection": "local",
                                "gather_facts": False, "tasks": tasks}], sort_keys=False)
    outcome = run_playbook(playbook, check=check, diff=diff)
    results = []
    for name, result in outcome.tasks():
        result = dict(result)
        result["task"] = name
        results.append(result)
    return results


def run_module(tmp_path, module, arguments, check_mode=False, diff=False):
    """Run one module with ``arguments`` (a dict) and return its JSON result."""
    args_file = tmp_path / ("%s-args.json" % module)
    payload = dict(arguments)
    payload["_ansible_check_mode"] = check_mode
    payload["_ansible_diff"] = diff
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": payload}))
    completed = subprocess.run([sys.executable, os.path.join(MODULES, module + ".py"), str(args_file)],
                               cwd=str(tmp_path), env=_module_environment(), capture_output=True, text=True, timeout=120, check=False)
    try:
        return json.loads(completed.stdout)
    except ValueError:
        raise AssertionError("module %s printed no JSON (rc %s):\n%s\n%s"
                             % (module, completed.returncode, completed.stdout[-3000:], completed.stderr[-3000:]))


def wait_for_faulted_requests(emulator, action, count=1, timeout=15.0):
    """Wait until the request log contains ``count`` calls that got fault ``action``; fail after ``timeout`` seconds.

    The emulator logs a delayed call only once it has answered it. A test that checks the objects
    and the log right after the module returns waits here, so that a delayed create that commits
    after the module has finished is counted too.
    """
    deadline = time.monotonic() + timeout
    while True:
        faulted = [entry for entry in emulator.requests() if entry.get("fault") == action]
        if len(faulted) >= count:
            return faulted
        if time.monotonic() > deadline:
            raise AssertionError("the emulator logged %d calls with fault %s after %s seconds, expected %d"
                                 % (len(faulted), action, timeout, count))
        time.sleep(0.2)
