"""The shipped my_metric check, run by Datadog's real check base and its stub aggregator."""

import importlib.util
import os
import sys
import types

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MY_METRIC_FILE = os.path.join(REPO_ROOT, "roles", "custom_check", "files", "checks.d", "my_metric.py")
MANY_RUNS = 400


def test_check_base_is_the_real_package(run_check):
    output = run_check("my_metric")
    assert output["agent_check_module"].startswith("datadog_checks.base.")


def test_one_gauge_per_run(run_check):
    output = run_check("my_metric", runs=5)
    assert len(output["runs"]) == 5
    for run in output["runs"]:
        assert run["error"] == ""
        assert len(run["metrics"]) == 1
        assert run["metrics"][0]["name"] == "my_metric"
        assert run["metrics"][0]["type"] == "gauge"


def test_values_are_integers_in_range(run_check):
    output = run_check("my_metric", runs=MANY_RUNS)
    values = [run["metrics"][0]["value"] for run in output["runs"]]
    assert len(values) == MANY_RUNS
    for value in values:
        assert value == int(value)
        assert 0 <= value <= 1000


def test_values_spread_over_range(run_check):
    # With 400 uniform draws from 0..1000, the chance that none falls in 0..99 (or in 901..1000)
    # is (901/1001) ** 400, about 5e-19.
    output = run_check("my_metric", runs=MANY_RUNS)
    values = [run["metrics"][0]["value"] for run in output["runs"]]
    assert min(values) < 100
    assert max(values) > 900
    assert len(set(values)) > MANY_RUNS // 2


@pytest.mark.parametrize("bound, expected", [("lower", 0), ("upper", 1000)])
def test_range_bounds_are_inclusive(run_check, bound, expected):
    output = run_check("my_metric", randint_returns=bound)
    assert output["randint_calls"] == [[0, 1000]]
    assert output["runs"][0]["error"] == ""
    assert output["runs"][0]["metrics"][0]["value"] == expected


@pytest.mark.parametrize(
    "instance, expected_tags",
    [
        ({}, []),
        ({"tags": None}, []),
        ({"tags": ["team:ddlab"]}, ["team:ddlab"]),
        ({"tags": ["env:lab", "great:success", "datadogisthebest"]}, ["datadogisthebest", "env:lab", "great:success"]),
        ({"min_collection_interval": 45, "tags": ["team:ddlab"]}, ["team:ddlab"]),
    ],
)
def test_instance_tags_attached(run_check, instance, expected_tags):
    output = run_check("my_metric", instance=instance, runs=3)
    for run in output["runs"]:
        assert run["error"] == ""
        assert run["metrics"][0]["tags"] == expected_tags


def test_falls_back_to_legacy_checks_module(monkeypatch):
    # Agents before 6.6 have no datadog_checks.base, so the check must import checks.AgentCheck there.
    submitted = []

    class LegacyAgentCheck:
        def __init__(self, name, init_config, agent_config, instances=None):
            self.name = name

        def gauge(self, name, value, tags=None):
            submitted.append((name, value, tags))

    legacy_module = types.ModuleType("checks")
    legacy_module.AgentCheck = LegacyAgentCheck
    monkeypatch.setitem(sys.modules, "checks", legacy_module)
    # None in sys.modules makes "import datadog_checks.base" raise ImportError.
    monkeypatch.setitem(sys.modules, "datadog_checks", None)
    monkeypatch.setitem(sys.modules, "datadog_checks.base", None)

    spec = importlib.util.spec_from_file_location("my_metric_legacy", MY_METRIC_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    assert module.AgentCheck is LegacyAgentCheck
    check = module.MyMetricCheck("my_metric", {}, {}, [{"tags": ["team:ddlab"]}])
    check.check({"tags": ["team:ddlab"]})
    assert len(submitted) == 1
    name, value, tags = submitted[0]
    assert name == "my_metric"
    assert 0 <= value <= 1000
    assert tags == ["team:ddlab"]
