"""Measure what a run of the collection's Datadog monitor module costs next to community.general's,
against a private Datadog API emulator, and print the result tables in Markdown.

Run from the repository root with the virtualenv of tests/setup:

    .venv/bin/python benchmarks/reconcile.py            # full run: N = 10 and 100, 3 runs each
    .venv/bin/python benchmarks/reconcile.py --quick    # N = 2, one run, no baseline, no lookup scale
    .venv/bin/python benchmarks/reconcile.py --site     # also converge site.yml on this host (see --help)
    .venv/bin/python benchmarks/reconcile.py --site-only

The emulator starts on a free 127.0.0.1 port with a temporary state file and stops at the end.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import REPO_ROOT, Emulator, NullEscalationProxy  # noqa: E402 (needs the path above)
import scenarios  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3,
                        help="repetitions of each measurement; tables show the median (default 3)")
    parser.add_argument("--sizes", default="10,100",
                        help="comma-separated monitor counts N for the loop benchmark (default 10,100)")
    parser.add_argument("--lookup-sizes", default="1000,5000",
                        help="comma-separated counts of other monitors for the lookup benchmark; "
                        "empty to skip (default 1000,5000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke mode: N = 2, one run, no ping baseline, no lookup benchmark")
    parser.add_argument("--site", action="store_true",
                        help="also converge site.yml on this host twice with inventory/local, time a play of "
                        "as many no-op tasks, then run molecule/default/cleanup.yml; installs and removes "
                        "the Agent stand-in, MariaDB, the check and the app")
    parser.add_argument("--site-only", action="store_true",
                        help="measure only site.yml (implies --site), without the monitor, lookup and profile parts")
    parser.add_argument("--force-site", action="store_true",
                        help="run --site even when a molecule process is running")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1
        args.sizes = "2"
        args.lookup_sizes = ""
    if args.site_only:
        args.site = True
        args.sizes = ""
        args.lookup_sizes = ""
    args.sizes = [int(value) for value in args.sizes.split(",") if value.strip()]
    args.lookup_sizes = [int(value) for value in args.lookup_sizes.split(",") if value.strip()]
    if args.runs < 1:
        parser.error("--runs must be 1 or more, got %d" % args.runs)
    return args


def log(message):
    print("[%s] %s" % (datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S"), message),
          file=sys.stderr, flush=True)


# -- machine and software description ------------------------------------------------------------

def machine_description():
    """Return the date, hardware, load and software versions that the results depend on."""
    cpu_model = ""
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    manifest = os.path.join(sysconfig.get_paths()["purelib"], "ansible_collections", "community", "general",
                            "MANIFEST.json")
    with open(manifest) as handle:
        community_general = json.load(handle)["collection_info"]["version"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=False).stdout.strip()
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "ansible_core": importlib.metadata.version("ansible-core"),
        "ansible": importlib.metadata.version("ansible"),
        "community_general": community_general,
        "datadog": importlib.metadata.version("datadog"),
        "git_commit": commit + (" + uncommitted changes" if _dirty() else ""),
        "load_average_start": _load_average(),
    }


def _dirty():
    status = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True,
                            check=False).stdout
    return bool(status.strip())


def _load_average():
    return " ".join("%.2f" % value for value in os.getloadavg())


# -- tables ---------------------------------------------------------------------------------------

def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _header in headers) + " |"]
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    return "\n".join(lines)


def _number(value, digits=2):
    if value is None:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return "%.*f" % (digits, value)
    return "%d" % value


def print_report(results):
    machine = results["machine"]
    print("## Machine\n")
    print(markdown_table(["item", "value"], [[key, value] for key, value in machine.items()]))

    if results.get("monitors"):
        print("\n## Monitors: one task per monitor in a loop (median over the runs)\n")
        ping = {row["n"]: row["wall"] for row in results["monitors"] if row["module"] == scenarios.BASELINE_MODULE}
        print(markdown_table(
            ["N", "module", "run", "runs", "wall s", "s per item", "s per item above ping", "GET", "write",
             "GET per item", "response KiB", "changed items", "failed items"],
            [[row["n"], row["module"], row["phase"], row["runs"], _number(row["wall"]),
              _number(row["wall"] / row["n"], 3),
              _number((row["wall"] - ping[row["n"]]) / row["n"], 3) if row["n"] in ping else "n/a",
              _number(row["get"]), _number(row["write"]), _number(row["get"] / row["n"]),
              _number(row["response_bytes"] / 1024.0, 1), _number(row["changed_items"]), _number(row["failed_items"])]
             for row in results["monitors"]]))
        print("\nRequests by route, last run of each row:\n")
        print(markdown_table(
            ["N", "module", "run", "requests"],
            [[row["n"], row["module"], row["phase"],
              ", ".join("%s x%d" % (route, count) for route, count in sorted(row["by_path"].items())) or "none"]
             for row in results["monitors"] if row["module"] != scenarios.BASELINE_MODULE]))
        print("\n## Ratios community.general / ddlab.observability\n")
        print(markdown_table(
            ["N", "run", "wall", "GET", "write", "all requests", "response bytes"],
            [[row["n"], row["phase"], _number(row["wall"]), _number(row["get"]), _number(row["write"]),
              _number(row["requests"]), _number(row["response_bytes"])] for row in results["monitor_ratios"]]))
        failures = [row for row in results["monitors"] if row["failed_items"]]
        for row in failures:
            print("\nFAILED: N=%d %s %s: %s" % (row["n"], row["module"], row["phase"], "; ".join(row["errors"])))

    if results.get("lookup"):
        print("\n## Lookup: one no-op module run among many monitors (median of %d runs, module process only)\n"
              % results["lookup"][0]["runs"])
        print(markdown_table(
            ["monitors in org", "names", "module", "wall s", "module CPU s", "GET", "write",
             "emulator time of those GETs s"],
            [[row["monitors"], row["layout"], row["module"], _number(row["wall"]), _number(row["cpu"]),
              row["get"], row["write"], _number(row["emulator_get_seconds"])] for row in results["lookup"]]))

    if results.get("profile"):
        profile = results["profile"]
        print("\n## Profile of one no-op run of the module process in an org of 100 monitors (no Ansible; medians)\n")
        rows = []
        for module, measured in profile["modules"].items():
            rows.append(["%s process wall" % module, _number(measured["wall"], 3)])
            rows.append(["%s process CPU (user + system)" % module, _number(measured["cpu"], 3)])
        rows.extend([
            ["python -c pass", _number(profile["python_start"], 3)],
            ["import datadog (cumulative, -X importtime)", _number(profile["import_datadog"], 3)],
            ["import requests alone (datadog imports it)", _number(profile["import_requests"], 3)],
            ["import ansible.module_utils.basic", _number(profile["import_ansible.module_utils.basic"], 3)],
        ])
        rows.extend([["emulator: %s, plain urllib, 100 monitors in the org" % request, _number(seconds, 4)]
                     for request, seconds in profile["emulator_seconds"].items()])
        print(markdown_table(["part", "seconds"], rows))
        for module, measured in profile["modules"].items():
            print("\nRequests of one no-op run of %s: %s" % (module, ", ".join(
                "%s x%d" % item for item in sorted(measured["requests"].items()))))
        print("\nLargest imports in the module process (cumulative seconds): %s" % ", ".join(
            "%s %.3f" % (name, seconds) for name, seconds in profile["top_imports"]))

    if results.get("site"):
        print("\n## site.yml on this host\n")
        print(markdown_table(
            ["run", "wall s", "tasks", "changed", "failed", "rc"],
            [[row["run"], _number(row["wall"], 1), row["tasks"], row["changed"], row["failed"], row["rc"]]
             for row in results["site"]]))
        for row in results["site"]:
            if row["failed"] or row["rc"]:
                print("\n%s: %s" % (row["run"], " | ".join(message[:300] for message in row["errors"])))
    if results.get("site_skipped"):
        print("\nsite.yml not measured: %s" % results["site_skipped"])
    print("\nLoad average at the end: %s; total benchmark time %.0f s; proxy removed a null top-level "
          "escalation_message from %d request bodies."
          % (results["load_average_end"], results["elapsed"], results["proxy_stripped"]))


# -- main -------------------------------------------------------------------------------------------

def _exit_on_sigterm(signum, frame):
    # SystemExit unwinds main(), so the emulator and the proxy stop and subprocess.run kills its child.
    sys.exit(128 + signum)


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    started = time.perf_counter()
    results = {"machine": machine_description(), "arguments": {
        "runs": args.runs, "sizes": args.sizes, "lookup_sizes": args.lookup_sizes, "site": args.site}}
    log("starting the emulator")
    emulator = Emulator()
    proxy = NullEscalationProxy(emulator.url)
    try:
        with tempfile.TemporaryDirectory(prefix="ddlab-bench-") as work_dir:
            results["monitors"] = scenarios.measure_monitor_loops(emulator, proxy, args.sizes, args.runs,
                                                                  work_dir, log, baseline=not args.quick)
            results["monitor_ratios"] = scenarios.monitor_ratios(results["monitors"])

            if args.lookup_sizes:
                results["lookup"] = scenarios.measure_lookup(emulator, proxy.url, args.lookup_sizes, args.runs, log)
            if not args.site_only:
                results["profile"] = scenarios.measure_profile(emulator, proxy.url, args.runs, log)

            if args.site:
                running = scenarios.molecule_processes()
                if running and not args.force_site:
                    results["site_skipped"] = "molecule is running (%s); rerun later or pass --force-site" % (
                        "; ".join(running[:3]))
                    log(results["site_skipped"])
                else:
                    results["site"] = scenarios.measure_site(work_dir, log)
    finally:
        proxy_stripped = proxy.stripped
        proxy.stop()
        emulator.stop()

    results["proxy_stripped"] = proxy_stripped
    results["load_average_end"] = _load_average()
    results["elapsed"] = time.perf_counter() - started
    print_report(results)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1, default=str)

    failed = any(row["failed_items"] for row in results["monitors"])
    failed = failed or any(row["failed"] or row["rc"] for row in results.get("site", []))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
