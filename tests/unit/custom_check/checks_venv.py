"""Create the virtualenv that runs the shipped checks with Datadog's check base.

The virtualenv lives in .cache/venv-checks (git-ignored) and is rebuilt when
requirements-checks.txt changes. Run this file to create it ahead of the tests; it prints the
virtualenv's Python.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
REQUIREMENTS = os.path.join(HERE, "requirements-checks.txt")
VENV_DIR = os.path.join(REPO_ROOT, ".cache", "venv-checks")
STAMP = os.path.join(VENV_DIR, ".requirements.sha256")
PIP_TIMEOUT_SECONDS = 900


def venv_python(venv_dir=VENV_DIR):
    return os.path.join(venv_dir, "bin", "python")


def requirements_digest():
    with open(REQUIREMENTS, "rb") as requirements:
        return hashlib.sha256(requirements.read()).hexdigest()


def is_current(digest):
    if not os.path.exists(venv_python()) or not os.path.exists(STAMP):
        return False
    with open(STAMP, encoding="utf-8") as stamp:
        return stamp.read().strip() == digest


def ensure_checks_venv():
    """Create or update the virtualenv if needed and return the path of its Python.

    A lock file serializes concurrent callers, so two test runs never install at once.
    """
    os.makedirs(os.path.dirname(VENV_DIR), exist_ok=True)
    with open(VENV_DIR + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        digest = requirements_digest()
        if is_current(digest):
            return venv_python()

        shutil.rmtree(VENV_DIR, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", VENV_DIR], check=True)
        subprocess.run(
            [venv_python(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
            check=True,
            timeout=PIP_TIMEOUT_SECONDS,
        )
        with open(STAMP, "w", encoding="utf-8") as stamp:
            stamp.write(digest + "\n")
        return venv_python()


if __name__ == "__main__":
    print(ensure_checks_venv())
