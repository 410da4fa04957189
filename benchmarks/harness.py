"""Building blocks of the benchmarks: a private Datadog API emulator, a forwarding proxy, and timed
runs of ansible-playbook and of single module processes.

Only the standard library and the repository's own emulator package are used, so the harness runs
with the virtualenv that tests/setup creates.
"""

import http.client
import http.server
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(REPO_ROOT, ".venv", "bin")
COLLECTIONS_PATH = os.path.join(REPO_ROOT, ".venv", "collections")
EMULATOR_PARENT = os.path.join(REPO_ROOT, "tests", "standins", "datadog_api")
if EMULATOR_PARENT not in sys.path:
    sys.path.insert(0, EMULATOR_PARENT)

from emulator.admin_client import EmulatorProcess  # noqa: E402 (needs the path above)
from emulator.store import Store  # noqa: E402


def median(values):
    return statistics.median(values) if values else None


class Emulator:
    """An emulator child process on a free 127.0.0.1 port with its own temporary state directory."""

    def __init__(self):
        self.state_dir = tempfile.mkdtemp(prefix="ddlab-bench-")
        self.state_path = os.path.join(self.state_dir, "state.json")
        self.process = EmulatorProcess(self.state_path, os.path.join(self.state_dir, "emulator.log"),
                                       python=os.path.join(VENV_BIN, "python"))
        self.admin = self.process.admin
        self.url = self.process.url
        self.store = Store(self.state_path)

    def request_counts(self):
        """Return the API calls logged since the last reset: ``{"get": n, "write": n, "by_path": {...}}``."""
        log = self.admin.requests()
        by_path = {}
        for entry in log:
            key = "%s %s" % (entry["method"], _path_shape(entry["path"]))
            by_path[key] = by_path.get(key, 0) + 1
        return {
            "get": sum(1 for entry in log if entry["method"] == "GET"),
            "write": sum(1 for entry in log if entry["write"]),
            "by_path": by_path,
            "errors": [entry for entry in log if (entry["status"] or 0) >= 400],
        }

    def stop(self):
        self.process.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)


def _path_shape(path):
    """Replace numeric ids in an API path with ``{id}``, so calls group by route."""
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


class NullEscalationProxy:
    """HTTP proxy on a free 127.0.0.1 port that forwards every request to ``target_url``.

    community.general.datadog_monitor (11.x) sends a top-level ``"escalation_message": null`` in
    every create and update body, and the emulator's strict schema check rejects that unknown key
    with a 400. The proxy drops that key only when its value is null, which leaves the request's
    meaning unchanged (a null top-level field sets nothing). Both modules go through the proxy, so
    it adds the same cost to each request of either module.
    """

    def __init__(self, target_url):
        target = urllib.parse.urlsplit(target_url)
        self.target_host, self.target_port = target.hostname, target.port
        self.stripped = 0
        self.response_bytes = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
                pass

            def do_GET(self):
                proxy.forward(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def forward(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        if body and handler.command in ("POST", "PUT"):
            body = self._strip_null_escalation(body)
        headers = {name: value for name, value in handler.headers.items()
                   if name.lower() not in ("host", "content-length", "connection")}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(self.target_host, self.target_port, timeout=120)
        try:
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        handler.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("content-length", "connection", "server", "date"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
        with self._lock:
            self.response_bytes += len(payload)

    def take_response_bytes(self):
        """Return the response body bytes forwarded since the last call, and restart the count."""
        with self._lock:
            count, self.response_bytes = self.response_bytes, 0
        return count

    def _strip_null_escalation(self, body):
        try:
            document = json.loads(body)
        except ValueError:
            return body
        if isinstance(document, dict) and "escalation_message" in document and document["escalation_message"] is None:
            del document["escalation_message"]
            with self._lock:
                self.stripped += 1
            return json.dumps(document).encode("utf-8")
        return body

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def ansible_environment():
    """Return the environment for ansible-playbook: the repository's config, the JSON callback, no DD_* keys."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
    })
    for name in ("DD_API_KEY", "DD_APP_KEY", "DD_SITE"):
        env.pop(name, None)
    return env


class PlaybookRun:
    """Outcome of one timed ansible-playbook run: wall time, child CPU time and the JSON report."""

    def __init__(self, completed, wall, cpu):
        self.rc = completed.returncode
        self.wall = wall
        self.cpu = cpu
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        try:
            self.report = json.loads(completed.stdout[completed.stdout.index("{"):])
        except ValueError:
            self.report = {}

    def host_results(self):
        """Return every per-host task result; a looped task contributes one result per item."""
        results = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                for result in task.get("hosts", {}).values():
                    results.extend(result.get("results") or [result])
        return results

    @property
    def task_count(self):
        """Return the task runs over all hosts as the play recap counts them (a looped task counts once).

        The recap's ``ok`` already includes the changed tasks.
        """
        return sum(stats.get("ok", 0) + stats.get("failures", 0) + stats.get("skipped", 0)
                   + stats.get("unreachable", 0) for stats in self.report.get("stats", {}).values())

    @property
    def changed(self):
        return sum(stats.get("changed", 0) for stats in self.report.get("stats", {}).values())

    @property
    def failures(self):
        return sum(stats.get("failures", 0) + stats.get("unreachable", 0)
                   for stats in self.report.get("stats", {}).values())

    def failure_messages(self, limit=3):
        messages = [str(result.get("msg")) for result in self.host_results() if result.get("failed")]
        return messages[:limit] or ([self.stderr[-2000:]] if self.rc else [])


def run_playbook(path, args=(), timeout=3600):
    """Run ansible-playbook on ``path`` from the repository root; return a PlaybookRun."""
    command = [os.path.join(VENV_BIN, "ansible-playbook"), path] + list(args)
    return _timed(lambda: subprocess.run(command, cwd=REPO_ROOT, env=ansible_environment(), capture_output=True,
                                         text=True, timeout=timeout, check=False), PlaybookRun)


class ProcessRun:
    """Outcome of one module process: wall time, its CPU time (user + system) and its JSON output."""

    def __init__(self, completed, wall, cpu):
        self.rc = completed.returncode
        self.wall = wall
        self.cpu = cpu
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        try:
            self.result = json.loads(completed.stdout)
        except ValueError:
            self.result = {"failed": True, "msg": "no JSON output (rc %s): %s %s"
                           % (completed.returncode, completed.stdout[-1000:], completed.stderr[-1000:])}


def run_module_process(module_path, arguments, work_dir, python_args=()):
    """Run one module file with its arguments in a JSON file, as Ansible's local connection does minus AnsiballZ.

    The module runs from a copy in ``work_dir``, because Python puts the script's folder first on
    sys.path and community.general's modules folder holds a ``pkgutil.py`` that hides the standard one.
    """
    script = os.path.join(work_dir, "bench_module_" + os.path.basename(module_path))
    shutil.copyfile(module_path, script)
    args_file = os.path.join(work_dir, "module-args.json")
    with open(args_file, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": dict(arguments, _ansible_check_mode=False, _ansible_diff=False)}, handle)
    env = dict(os.environ)
    env["PYTHONPATH"] = COLLECTIONS_PATH
    for name in ("DD_API_KEY", "DD_APP_KEY", "DD_SITE"):
        env.pop(name, None)
    command = [os.path.join(VENV_BIN, "python")] + list(python_args) + [script, args_file]
    return _timed(lambda: subprocess.run(command, cwd=work_dir, env=env, capture_output=True, text=True,
                                         timeout=600, check=False), ProcessRun)


def _timed(run, result_class):
    """Call ``run()`` (a subprocess.run) and wrap its result with wall time and the children's CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = run()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result_class(completed, wall, cpu)
