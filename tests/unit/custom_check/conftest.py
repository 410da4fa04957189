"""Fixtures that run the shipped checks through Datadog's check base in its own virtualenv."""

import json
import os
import subprocess

import pytest

from checks_venv import REPO_ROOT, ensure_checks_venv

RUN_CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_check.py")
CHECKS_DIR = os.path.join(REPO_ROOT, "roles", "custom_check", "files", "checks.d")


@pytest.fixture(scope="session")
def checks_python():
    """Python of .cache/venv-checks, created on first use (about a minute with a cold pip cache)."""
    return ensure_checks_venv()


@pytest.fixture(scope="session")
def run_check(checks_python):
    """Return a function that runs a shipped check and returns run_check.py's JSON output."""

    def run(check_name, instance=None, runs=1, randint_returns=None):
        command = [
            checks_python,
            RUN_CHECK,
            os.path.join(CHECKS_DIR, check_name + ".py"),
            "--instance", json.dumps(instance or {}),
            "--runs", str(runs),
        ]
        if randint_returns:
            command += ["--randint-returns", randint_returns]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run
