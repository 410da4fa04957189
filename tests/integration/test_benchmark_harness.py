"""The benchmark script in quick mode (N = 2): it must run and count the requests that the docs page
reports. Timings are not asserted; they belong on the benchmark page."""

import json
import os
import subprocess

import pytest

from playbook_runner import REPO_ROOT, VENV_BIN

DDLAB = "ddlab.observability.datadog_monitor"
COMMUNITY = "community.general.datadog_monitor"


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    output = tmp_path_factory.mktemp("benchmark") / "results.json"
    completed = subprocess.run(
        [os.path.join(VENV_BIN, "python"), os.path.join(REPO_ROOT, "benchmarks", "reconcile.py"), "--quick",
         "--json", str(output)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads(output.read_text())
    rows = {(row["module"], row["phase"]): row for row in results["monitors"]}
    return results, rows, completed.stdout


def test_quick_mode_measures_both_modules(quick_results):
    _results, rows, _stdout = quick_results
    assert set(rows) == {(DDLAB, "create"), (DDLAB, "no-op"), (COMMUNITY, "create"), (COMMUNITY, "no-op")}
    for row in rows.values():
        assert row["n"] == 2
        assert row["failed_items"] == 0, row["errors"]


def test_create_run_writes_once_per_monitor(quick_results):
    _results, rows, _stdout = quick_results
    for module in (DDLAB, COMMUNITY):
        assert rows[(module, "create")]["write"] == 2, module
        assert rows[(module, "create")]["changed_items"] == 2, module
        assert rows[(module, "create")]["by_path"]["POST /api/v1/monitor"] == 2, module


def test_ddlab_noop_rerun_makes_no_write(quick_results):
    _results, rows, _stdout = quick_results
    noop = rows[(DDLAB, "no-op")]
    assert noop["write"] == 0
    assert noop["changed_items"] == 0
    # One name lookup per monitor and nothing else: keys are checked only after a rejected call.
    assert noop["by_path"] == {"GET /api/v1/monitor": 2}


def test_community_noop_rerun_sends_updates(quick_results):
    # community.general sends a PUT for every existing monitor; the harness must count those writes.
    _results, rows, _stdout = quick_results
    noop = rows[(COMMUNITY, "no-op")]
    assert noop["write"] == 2
    assert noop["by_path"]["PUT /api/v1/monitor/{id}"] == 2


def test_tables_printed(quick_results):
    results, _rows, stdout = quick_results
    assert "## Monitors: one task per monitor in a loop" in stdout
    assert "## Ratios community.general / ddlab.observability" in stdout
    assert results["profile"]["modules"][DDLAB]["requests"] == {"GET /api/v1/monitor": 1}
    assert results["profile"]["modules"][COMMUNITY]["requests"] == {"GET /api/v1/monitor": 2,
                                                                    "PUT /api/v1/monitor/{id}": 1}
