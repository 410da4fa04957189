"""Run an Agent check file with Datadog's check base and print what it submitted, as JSON.

Runs inside the virtualenv from checks_venv.py, the way the Agent does: it imports the file,
takes its AgentCheck subclass, builds one check object from the instance and calls run()
repeatedly, reading the stub aggregator after each run.

    run_check.py CHECK_FILE --instance '{"tags": ["team:ddlab"]}' --runs 100
    run_check.py CHECK_FILE --randint-returns upper

With --randint-returns, random.randint returns its lower or upper bound and the output lists the
bounds the check asked for.
"""

import argparse
import importlib.util
import inspect
import json
import os
import random
import sys

# The stub aggregator rejects tags such as env:... that integrations must not set themselves. A
# custom check's instance tags are the user's own, so the Agent accepts them and so does this run.
os.environ["DDEV_SKIP_GENERIC_TAGS_CHECK"] = "1"

from datadog_checks.base import AgentCheck  # noqa: E402
from datadog_checks.base.stubs import aggregator  # noqa: E402


def load_check_class(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes = [
        value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, AgentCheck) and value.__module__ == name
    ]
    if len(classes) != 1:
        raise SystemExit("Invalid check file {}: expected one AgentCheck subclass, found {}".format(path, len(classes)))
    return name, classes[0]


def submitted_metrics():
    metrics = []
    for name in sorted(aggregator.metric_names):
        for stub in aggregator.metrics(name):
            metrics.append(
                {
                    "name": stub.name,
                    "type": aggregator.METRIC_ENUM_MAP_REV[stub.type],
                    "value": stub.value,
                    "tags": sorted(stub.tags),
                }
            )
    return metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check_file", help="path of the check's .py file")
    parser.add_argument("--instance", default="{}", help="instance mapping as JSON (default: {})")
    parser.add_argument("--runs", type=int, default=1, help="number of check runs (default: 1)")
    parser.add_argument("--randint-returns", choices=["lower", "upper"], help="make random.randint return a bound")
    args = parser.parse_args()

    randint_calls = []
    if args.randint_returns:
        def bounded_randint(lower, upper):
            randint_calls.append([lower, upper])
            return lower if args.randint_returns == "lower" else upper

        random.randint = bounded_randint

    name, check_class = load_check_class(args.check_file)
    check = check_class(name, {}, [json.loads(args.instance)])
    runs = []
    for dummy_run in range(args.runs):
        aggregator.reset()
        # run() catches the check's exceptions and returns them as a string. An empty string means success.
        error = check.run()
        runs.append({"error": error, "metrics": submitted_metrics()})

    json.dump(
        {"agent_check_module": AgentCheck.__module__, "randint_calls": randint_calls, "runs": runs},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
