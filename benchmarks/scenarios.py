"""The measured scenarios: monitor reconcile loops, lookup among many monitors, the module process
profile, and the whole site.yml. Each returns plain dicts that reconcile.py prints and stores."""

import copy
import json
import os
import re
import subprocess
import sysconfig
import tempfile
import time
import urllib.request

import yaml

from harness import (
    REPO_ROOT,
    VENV_BIN,
    median,
    run_module_process,
    run_playbook,
)

DDLAB_MODULE = "ddlab.observability.datadog_monitor"
COMMUNITY_MODULE = "community.general.datadog_monitor"
DDLAB_MODULE_PATH = os.path.join(REPO_ROOT, "plugins", "modules", "datadog_monitor.py")
# The `ansible` package installs community.general into the virtualenv's site-packages.
COMMUNITY_MODULE_PATH = os.path.join(sysconfig.get_paths()["purelib"], "ansible_collections", "community", "general",
                                     "plugins", "modules", "datadog_monitor.py")
BASELINE_MODULE = "ansible.builtin.ping"


# -- monitor definitions ----------------------------------------------------------------------

def monitor_definition(index):
    """Return the module-independent definition of benchmark monitor ``index``."""
    return {
        "name": "bench monitor %d" % index,
        "type": "metric alert",
        "query": "avg(last_5m):avg:bench.metric{host:bench-%d} > 800" % index,
        "notification_message": "bench.metric is high on bench-%d. @ops@example.com" % index,
        "tags": ["team:bench", "index:%d" % index],
        "thresholds": {"critical": 800, "warning": 500},
        "notify_no_data": False,
    }


def module_arguments(module, definition, emulator):
    """Return the arguments of ``module`` for one monitor ``definition`` against ``emulator`` (a URL and keys)."""
    arguments = copy.deepcopy(definition)
    arguments["api_key"] = emulator["api_key"]
    arguments["app_key"] = emulator["app_key"]
    arguments["state"] = "present"
    if module == COMMUNITY_MODULE:
        arguments["api_host"] = emulator["url"]
    else:
        arguments["api_url"] = emulator["url"]
    return arguments


def loop_playbook(module, count, emulator):
    """Return a playbook with one task that loops ``module`` over ``count`` monitor definitions."""
    if module == BASELINE_MODULE:
        task = {"name": "Run ping once per item", BASELINE_MODULE: {}, "loop": "{{ range(%d) | list }}" % count}
    else:
        arguments = module_arguments(module, monitor_definition(0), emulator)
        # Jinja puts the loop index into the name, query, message and tags. The other fields are the same for every item.
        for key in ("name", "query", "notification_message"):
            arguments[key] = arguments[key].replace("bench-0", "bench-{{ item }}").replace(
                "monitor 0", "monitor {{ item }}")
        arguments["tags"] = ["team:bench", "index:{{ item }}"]
        task = {"name": "Manage one monitor per item", module: arguments, "loop": "{{ range(%d) | list }}" % count}
    return [{"name": "Benchmark %s" % module, "hosts": "localhost", "connection": "local",
             "gather_facts": False, "tasks": [task]}]


def write_playbook(work_dir, name, plays):
    path = os.path.join(work_dir, name)
    with open(path, "w") as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    return path


# -- 1. monitors: first run and no-op re-run ---------------------------------------------------

def measure_monitor_loops(emulator, proxy, sizes, runs, work_dir, log, baseline=True):
    """Time the create run and the no-op re-run of each module for each size; return one row per measurement.

    The emulator is reset before each module's first run, so both modules start from an empty org.
    With ``baseline``, one run of a loop of ansible.builtin.ping over as many items shows Ansible's own
    cost of one module process per item.
    """
    connection = {"url": proxy.url, "api_key": emulator.admin.api_key, "app_key": emulator.admin.app_key}
    modules = (DDLAB_MODULE, COMMUNITY_MODULE) + ((BASELINE_MODULE,) if baseline else ())
    rows = []
    for count in sizes:
        for module in modules:
            path = write_playbook(work_dir, "loop-%s-%d.yml" % (module.split(".", maxsplit=1)[0], count),
                                  loop_playbook(module, count, connection))
            samples = {"create": [], "no-op": []}
            # The ping loop only shows Ansible's share; one run of it is enough next to the modules' medians.
            for run in range(1 if module == BASELINE_MODULE else runs):
                emulator.admin.reset()
                for phase in ("create", "no-op"):
                    emulator.admin.clear_requests()
                    proxy.take_response_bytes()
                    outcome = run_playbook(path)
                    counts = emulator.request_counts()
                    response_bytes = proxy.take_response_bytes()
                    samples[phase].append({
                        "wall": outcome.wall,
                        "get": counts["get"],
                        "write": counts["write"],
                        "response_bytes": response_bytes,
                        "by_path": counts["by_path"],
                        "changed_items": sum(1 for result in outcome.host_results() if result.get("changed")),
                        "failed_items": sum(1 for result in outcome.host_results() if result.get("failed")),
                        "rc": outcome.rc,
                        "errors": [str(result.get("msg")) for result in outcome.host_results()
                                   if result.get("failed")][:2],
                    })
                    log("monitors N=%d %s %s run %d: %.1f s, %d GET, %d write, rc %d"
                        % (count, module, "loop" if module == BASELINE_MODULE else phase, run + 1, outcome.wall,
                           counts["get"], counts["write"], outcome.rc))
                    if module == BASELINE_MODULE:
                        break
            for phase, measured in samples.items():
                if not measured:
                    continue
                rows.append({
                    "n": count,
                    "module": module,
                    "phase": "loop" if module == BASELINE_MODULE else phase,
                    "runs": len(measured),
                    "wall": median([sample["wall"] for sample in measured]),
                    "wall_all": [round(sample["wall"], 3) for sample in measured],
                    "get": median([sample["get"] for sample in measured]),
                    "write": median([sample["write"] for sample in measured]),
                    "response_bytes": median([sample["response_bytes"] for sample in measured]),
                    "changed_items": median([sample["changed_items"] for sample in measured]),
                    "failed_items": max(sample["failed_items"] for sample in measured),
                    "by_path": measured[-1]["by_path"],
                    "errors": measured[-1]["errors"],
                })
    return rows


def monitor_ratios(rows):
    """Return community.general / ddlab ratios of wall time and request counts per size and phase."""
    ratios = []
    index = {(row["n"], row["module"], row["phase"]): row for row in rows}
    for (count, module, phase), ours in sorted(index.items()):
        if module != DDLAB_MODULE:
            continue
        theirs = index.get((count, COMMUNITY_MODULE, phase))
        if theirs is None:
            continue
        ratios.append({
            "n": count,
            "phase": phase,
            "wall": _ratio(theirs["wall"], ours["wall"]),
            "get": _ratio(theirs["get"], ours["get"]),
            "write": _ratio(theirs["write"], ours["write"]),
            "requests": _ratio(theirs["get"] + theirs["write"], ours["get"] + ours["write"]),
            "response_bytes": _ratio(theirs["response_bytes"], ours["response_bytes"]),
        })
    return ratios


def _ratio(numerator, denominator):
    if not denominator:
        return None
    return numerator / denominator


# -- 3. lookup among many monitors ----------------------------------------------------------------

def seed_monitors(emulator, count, name_format):
    """Store ``count`` monitors directly in the emulator's state, shaped like ones the API created."""
    status, template, _headers = emulator.admin.api("POST", "/api/v1/monitor", {
        "name": "seed template", "type": "metric alert", "query": "avg(last_5m):avg:seed.metric{*} > 1",
        "message": "seed", "tags": ["team:seed"], "options": {"thresholds": {"critical": 1}}})
    if status != 200:
        raise RuntimeError("emulator rejected the seed template monitor: HTTP %s %s" % (status, template))
    with emulator.store.transaction() as state:
        monitors = state["objects"].setdefault("monitor", {})
        del monitors[str(template["id"])]
        next_id = state["counters"]["monitor"]
        for index in range(count):
            next_id += 1
            monitor = copy.deepcopy(template)
            monitor["id"] = next_id
            monitor["name"] = name_format % index
            monitor["query"] = "avg(last_5m):avg:seed.metric{host:seed-%d} > 1" % index
            monitors[str(next_id)] = monitor
        state["counters"]["monitor"] = next_id
    emulator.admin.clear_requests()


def raw_request_seconds(emulator, method, path, repeat, body=None):
    """Return the median seconds of ``repeat`` plain urllib calls (emulator and loopback time only)."""
    samples = []
    data = None if body is None else json.dumps(body).encode("utf-8")
    for _attempt in range(repeat):
        request = urllib.request.Request(emulator.url + path, data=data, method=method, headers={
            "DD-API-KEY": emulator.admin.api_key, "DD-APPLICATION-KEY": emulator.admin.app_key,
            "Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
        samples.append(time.perf_counter() - started)
    return median(samples)


def raw_get_seconds(emulator, path, repeat):
    return raw_request_seconds(emulator, "GET", path, repeat)


def measure_lookup(emulator, api_url, sizes, runs, log):
    """Time one no-op module run that must find its monitor among ``size`` others; return rows.

    Two name layouts: ``distinct`` (the API's name filter returns only the target) and ``shared
    prefix`` (every other monitor's name contains the target's name, so the filter returns them all
    and the module pages through them to rule out duplicates).
    """
    connection = {"url": api_url, "api_key": emulator.admin.api_key, "app_key": emulator.admin.app_key}
    definition = monitor_definition(0)
    layouts = {"distinct": "other monitor %d", "shared prefix": definition["name"] + " copy %d"}
    rows = []
    with tempfile.TemporaryDirectory(prefix="ddlab-bench-lookup-") as work_dir:
        for size in sizes:
            for layout, name_format in layouts.items():
                for module, module_path in ((DDLAB_MODULE, DDLAB_MODULE_PATH), (COMMUNITY_MODULE, COMMUNITY_MODULE_PATH)):
                    emulator.admin.reset()
                    arguments = module_arguments(module, definition, connection)
                    created = run_module_process(module_path, arguments, work_dir)
                    if created.result.get("failed"):
                        raise RuntimeError("%s could not create the lookup target: %s" % (module, created.result["msg"]))
                    seed_monitors(emulator, size, name_format)
                    walls, cpus, counts = [], [], None
                    for _attempt in range(runs):
                        emulator.admin.clear_requests()
                        outcome = run_module_process(module_path, arguments, work_dir)
                        if outcome.result.get("failed"):
                            raise RuntimeError("%s lookup run failed: %s" % (module, outcome.result["msg"]))
                        walls.append(outcome.wall)
                        cpus.append(outcome.cpu)
                        counts = emulator.request_counts()
                    # The same GETs without the module: what the emulator and loopback cost alone.
                    emulator_seconds = sum(
                        raw_get_seconds(emulator, entry["path"] + ("?" + entry["query"] if entry["query"] else ""),
                                        max(runs, 3))
                        for entry in emulator.admin.requests() if entry["method"] == "GET")
                    rows.append({
                        "monitors": size + 1,
                        "layout": layout,
                        "module": module,
                        "runs": runs,
                        "wall": median(walls),
                        "cpu": median(cpus),
                        "get": counts["get"],
                        "write": counts["write"],
                        "by_path": counts["by_path"],
                        "emulator_get_seconds": emulator_seconds,
                    })
                    log("lookup %d monitors (%s) %s: %.2f s wall, %.2f s CPU, %d GET, %d write"
                        % (size + 1, layout, module, rows[-1]["wall"], rows[-1]["cpu"], counts["get"], counts["write"]))
    return rows


# -- profile of the module process --------------------------------------------------------------

def import_seconds(module_name, runs):
    """Return the median cumulative import time of ``module_name`` in a fresh interpreter (python -X importtime)."""
    samples = []
    for _attempt in range(runs):
        completed = subprocess.run([os.path.join(VENV_BIN, "python"), "-X", "importtime", "-c", "import " + module_name],
                                   capture_output=True, text=True, check=True)
        for line in completed.stderr.splitlines():
            match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)$", line)
            if match and match.group(2) == module_name:
                samples.append(int(match.group(1)) / 1e6)
    return median(samples)


def module_import_breakdown(emulator, api_url, work_dir):
    """Run the module once with -X importtime and return the largest top-level imports as (name, seconds)."""
    connection = {"url": api_url, "api_key": emulator.admin.api_key, "app_key": emulator.admin.app_key}
    outcome = run_module_process(DDLAB_MODULE_PATH, module_arguments(DDLAB_MODULE, monitor_definition(0), connection),
                                 work_dir, python_args=("-X", "importtime"))
    top = []
    for line in outcome.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)$", line)
        if match:
            top.append((match.group(2), int(match.group(1)) / 1e6))
    top.sort(key=lambda item: -item[1])
    return top[:8]


def measure_profile(emulator, api_url, runs, log):
    """Measure the parts of one no-op run of each module process in an org of 100 monitors: interpreter
    start, imports and API calls."""
    connection = {"url": api_url, "api_key": emulator.admin.api_key, "app_key": emulator.admin.app_key}
    profile = {"modules": {}}
    with tempfile.TemporaryDirectory(prefix="ddlab-bench-profile-") as work_dir:
        for module, module_path in ((DDLAB_MODULE, DDLAB_MODULE_PATH), (COMMUNITY_MODULE, COMMUNITY_MODULE_PATH)):
            arguments = module_arguments(module, monitor_definition(0), connection)
            emulator.admin.reset()
            run_module_process(module_path, arguments, work_dir)
            # 99 other monitors: the org of the N=100 loop's no-op run.
            seed_monitors(emulator, 99, "other monitor %d")
            walls, cpus = [], []
            for _attempt in range(max(runs, 3)):
                emulator.admin.clear_requests()
                outcome = run_module_process(module_path, arguments, work_dir)
                walls.append(outcome.wall)
                cpus.append(outcome.cpu)
            profile["modules"][module] = {"wall": median(walls), "cpu": median(cpus),
                                          "requests": emulator.request_counts()["by_path"]}
        starts = []
        for _attempt in range(max(runs, 3)):
            started = time.perf_counter()
            subprocess.run([os.path.join(VENV_BIN, "python"), "-c", "pass"], check=True)
            starts.append(time.perf_counter() - started)
        profile["python_start"] = median(starts)
        for name in ("datadog", "requests", "ansible.module_utils.basic"):
            profile["import_" + name] = import_seconds(name, max(runs, 3))
        profile["top_imports"] = module_import_breakdown(emulator, api_url, work_dir)
        profile["emulator_seconds"] = emulator_request_seconds(emulator, api_url, work_dir, max(runs, 5))
    ours = profile["modules"][DDLAB_MODULE]
    log("profile: %s no-op %.2f s wall, %.2f s CPU; import datadog %.3f s"
        % (DDLAB_MODULE, ours["wall"], ours["cpu"], profile["import_datadog"]))
    return profile


def emulator_request_seconds(emulator, api_url, work_dir, repeat):
    """Time each request type of the no-op runs with plain urllib in an org of 100 monitors.

    This is the emulator's own share of a module run (the server side and loopback); the module
    process adds its start, imports and JSON handling on top.
    """
    connection = {"url": api_url, "api_key": emulator.admin.api_key, "app_key": emulator.admin.app_key}
    arguments = module_arguments(COMMUNITY_MODULE, monitor_definition(0), connection)
    emulator.admin.reset()
    run_module_process(COMMUNITY_MODULE_PATH, arguments, work_dir)
    emulator.admin.clear_requests()
    run_module_process(COMMUNITY_MODULE_PATH, arguments, work_dir)
    update = [entry for entry in emulator.admin.requests() if entry["method"] == "PUT"][0]
    update_body = {key: value for key, value in update["body"].items() if key != "escalation_message"}
    seed_monitors(emulator, 99, "other monitor %d")
    proxied = _Reference(api_url, emulator.admin)
    return {
        "GET /api/v1/validate": raw_get_seconds(emulator, "/api/v1/validate", repeat),
        "GET /api/v1/validate through the proxy": raw_get_seconds(proxied, "/api/v1/validate", repeat),
        "GET /api/v1/monitor?name=...&page=0&page_size=1000 (1 match)": raw_get_seconds(
            emulator, "/api/v1/monitor?name=bench+monitor+0&page=0&page_size=1000", repeat),
        "GET /api/v1/monitor (all 100)": raw_get_seconds(emulator, "/api/v1/monitor", repeat),
        "PUT /api/v1/monitor/{id} (unchanged body)": raw_request_seconds(
            emulator, "PUT", update["path"], repeat, update_body),
    }


class _Reference:
    """Duck type of Emulator for raw_get_seconds against another URL (the proxy)."""

    def __init__(self, url, admin):
        self.url = url
        self.admin = admin


# -- 2. the whole site.yml ----------------------------------------------------------------------

def molecule_processes():
    """Return the command lines of running processes that mention molecule (other than this one)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            continue
        if "molecule" in cmdline and "benchmarks/reconcile.py" not in cmdline:
            found.append("%s %s" % (pid, cmdline[:160]))
    return found


def _standins_answer():
    try:
        urllib.request.urlopen("http://127.0.0.1:8702/_emulator/health", timeout=2).read()
        urllib.request.urlopen("http://127.0.0.1:8701/", timeout=2).read()
    except OSError:
        return False
    return True


def overhead_playbook(task_count, module):
    """Return a play on the site's host with ``task_count`` tasks of ``module`` that change nothing."""
    if module == "ansible.builtin.debug":
        task = {"ansible.builtin.debug": {"msg": "no-op"}}
    else:
        task = {module: {}}
    tasks = [dict({"name": "No-op task %d" % index}, **task) for index in range(task_count)]
    return [{"name": "Fixed Ansible overhead", "hosts": "datadog_hosts", "gather_facts": False, "tasks": tasks}]


def measure_site(work_dir, log):
    """Converge site.yml, re-run it, time a play of as many no-op tasks, then run the teardown.

    Returns rows; the teardown runs molecule/default/cleanup.yml, so the host ends as it started.
    """
    # `up` is idempotent. Stand-ins that already ran belong to someone else and stay up afterwards.
    started_standins = not _standins_answer()
    subprocess.run([os.path.join(REPO_ROOT, "tests", "standins", "up")], cwd=REPO_ROOT, check=True)
    rows = []
    try:
        for phase in ("first converge", "no-op re-run"):
            outcome = run_playbook("site.yml", timeout=3600)
            rows.append({"run": "site.yml " + phase, "wall": outcome.wall, "tasks": outcome.task_count,
                         "changed": outcome.changed, "failed": outcome.failures, "rc": outcome.rc,
                         "errors": outcome.failure_messages()})
            log("site.yml %s: %.1f s, %d tasks, %d changed, %d failed"
                % (phase, outcome.wall, outcome.task_count, outcome.changed, outcome.failures))
        task_count = rows[-1]["tasks"]
        for module in ("ansible.builtin.debug", "ansible.builtin.ping"):
            path = write_playbook(work_dir, "overhead-%s.yml" % module.rsplit(".", maxsplit=1)[-1],
                                  overhead_playbook(task_count, module))
            outcome = run_playbook(path)
            rows.append({"run": "%d x %s" % (task_count, module), "wall": outcome.wall, "tasks": outcome.task_count,
                         "changed": outcome.changed, "failed": outcome.failures, "rc": outcome.rc,
                         "errors": outcome.failure_messages()})
            log("overhead %s: %.1f s" % (module, outcome.wall))
    finally:
        cleanup = run_playbook(os.path.join("molecule", "default", "cleanup.yml"), timeout=1800)
        rows.append({"run": "teardown (molecule/default/cleanup.yml)", "wall": cleanup.wall,
                     "tasks": cleanup.task_count, "changed": cleanup.changed, "failed": cleanup.failures,
                     "rc": cleanup.rc, "errors": cleanup.failure_messages()})
        log("teardown: rc %d, %d failed" % (cleanup.rc, cleanup.failures))
        if started_standins:
            subprocess.run([os.path.join(REPO_ROOT, "tests", "standins", "down")], cwd=REPO_ROOT, check=False)
    return rows
