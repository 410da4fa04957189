"""Shared pytest setup: the collection on the import path, and a Datadog API emulator per test
session, reset before each test.

Use ``datadog_emulator`` in a test: it is an ``EmulatorAdmin`` (see
tests/standins/datadog_api/emulator/admin_client.py) with ``url``, ``api_key`` and ``app_key``,
and with an empty state, request log and fault list.
"""

import os
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMULATOR_PARENT = os.path.join(REPO_ROOT, "tests", "standins", "datadog_api")
# tests/setup links this checkout as .venv/collections/ansible_collections/ddlab/observability, so
# ansible_collections.ddlab.observability.* imports resolve to the working tree.
COLLECTIONS_PATH = os.path.join(REPO_ROOT, ".venv", "collections")
for path in (EMULATOR_PARENT, COLLECTIONS_PATH):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="session")
def datadog_emulator_process(tmp_path_factory):
    """One emulator child process for the session, on a free port of 127.0.0.1."""
    from emulator.admin_client import EmulatorProcess

    state_dir = tmp_path_factory.mktemp("datadog_api")
    process = EmulatorProcess(str(state_dir / "state.json"), str(state_dir / "emulator.log"))
    yield process
    process.stop()


@pytest.fixture
def datadog_emulator(datadog_emulator_process):
    """The session's emulator, with its state, request log and faults reset for this test."""
    admin = datadog_emulator_process.admin
    admin.reset()
    yield admin
    admin.clear_faults()
