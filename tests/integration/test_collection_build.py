"""Build the collection tarball, install it apart from the checkout, and use it by FQCN."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(command, cwd, env):
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Return the environment of an install of the built tarball, with no link to the checkout."""
    work = tmp_path_factory.mktemp("collection-build")
    env = dict(os.environ)
    env.pop("ANSIBLE_CONFIG", None)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(work / "collections")
    env["ANSIBLE_NOCOLOR"] = "1"

    build = run([str(BIN / "ansible-galaxy"), "collection", "build", str(REPO), "--output-path", str(work)], work, env)
    assert build.returncode == 0, build.stdout + build.stderr
    tarballs = list(work.glob("ddlab-observability-*.tar.gz"))
    assert len(tarballs) == 1, tarballs

    # --no-deps because Galaxy is out of reach here, and the ansible package already brings the dependencies.
    install = run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(work / "collections"),
                   str(tarballs[0])], work, env)
    assert install.returncode == 0, install.stdout + install.stderr
    return work, env


def test_tarball_leaves_out_development_files(installed):
    work = installed[0]
    root = work / "collections" / "ansible_collections" / "ddlab" / "observability"
    assert (root / "roles" / "agent" / "tasks" / "main.yml").is_file()
    assert (root / "plugins" / "modules" / "datadog_monitor.py").is_file()
    assert not (root / ".venv").exists()
    assert not (root / "benchmarks").exists()


@pytest.mark.parametrize("plugin", [
    "ddlab.observability.datadog_monitor",
    "ddlab.observability.datadog_dashboard",
    "ddlab.observability.datadog_downtime",
])
def test_installed_module_documents_itself(installed, plugin):
    work, env = installed
    doc = run([str(BIN / "ansible-doc"), plugin], work, env)
    assert doc.returncode == 0, doc.stderr
    assert plugin in doc.stdout


def test_installed_roles_resolve_by_fqcn(installed):
    work, env = installed
    playbook = work / "fqcn.yml"
    roles = ["agent", "mysql", "custom_check", "apm_app", "datadog_objects"]
    playbook.write_text("".join(
        "- name: Use {0}\n  hosts: localhost\n  gather_facts: false\n  roles:\n"
        "    - ddlab.observability.{0}\n".format(role) for role in roles))
    check = run([str(BIN / "ansible-playbook"), "--syntax-check", str(playbook)], work, env)
    assert check.returncode == 0, check.stdout + check.stderr
