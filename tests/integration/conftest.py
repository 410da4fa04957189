"""Fixtures for playbook-level tests: ``run_playbook`` runs ansible-playbook and returns parsed results.

Typical use with the emulator of tests/conftest.py::

    from playbook_runner import emulator_vars

    def test_x(datadog_emulator, run_playbook):
        result = run_playbook(PLAYBOOK_YAML, extra_vars=emulator_vars(datadog_emulator))
        assert result.rc == 0
        assert result.task("Create the monitor")["changed"] is True
"""

import pytest

from playbook_runner import playbook_runner


@pytest.fixture
def run_playbook(tmp_path):
    """Return ``run(playbook, ...)``, which runs ansible-playbook; see playbook_runner.playbook_runner."""
    return playbook_runner(tmp_path)
