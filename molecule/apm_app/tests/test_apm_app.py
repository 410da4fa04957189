"""Checks of the apm_app role after converge, against the real service and the APM test agent.

The traces are read back from Datadog's APM test agent (ddapm-test-agent on 127.0.0.1:8126,
started by prepare.yml). Each trace test starts its own test session and sends its requests with a
`probe=<session token>` query string, which ddtrace records in the span's http.url. Only spans
carrying that token count, so a trace flushed late by an earlier request cannot land in the test.
The restart and validation tests run playbooks/apm_app.yml again with the scenario's inventory and
read its JSON output.
"""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

PROJECT_DIR = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
INVENTORY_DIR = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
PLAYBOOK = PROJECT_DIR / "playbooks" / "apm_app.yml"
ROLE_FILES = PROJECT_DIR / "roles" / "apm_app" / "files"
TEST_AGENT = "http://127.0.0.1:8126"
ROUTES = ("/", "/api/apm", "/api/trace")
REQUESTS_PER_ROUTE = 2
RESTART_HANDLER = "Restart apm_app"
# ddtrace flushes its trace buffer about once a second, and a slow machine may take longer.
TRACE_WAIT_SECONDS = 30

# Defaults of the role for what the scenario does not set (roles/apm_app/defaults/main.yml).
SERVICE = "apm-app"
USER = "apm-app"
VENV = "/opt/apm-app/venv"
CODE = "/opt/apm-app/app/app.py"
ENV_FILE = "/etc/apm-app/apm-app.env"
PID_FILE = "/run/apm-app.pid"


@pytest.fixture(scope="module")
def app_vars(host):
    """Return the scenario's inventory variables (service tags, port)."""
    return host.ansible.get_variables()


def http_get(url, headers=None):
    """Send a GET request and return (status, body), also for 4xx and 5xx responses."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for_port(port, timeout=30):
    """Wait until the app accepts connections, because a restart leaves it down for a moment.

    A TCP connect rather than an HTTP request, so that the probe itself sends no trace.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def start_session():
    """Start a test-agent session and return its token."""
    token = f"apm-app-{uuid.uuid4().hex}"
    status, body = http_get(f"{TEST_AGENT}/test/session/start?test_session_token={token}")
    assert status == 200, f"test agent did not start a session: {status} {body}"
    return token


def fetch_session_traces(token):
    status, body = http_get(f"{TEST_AGENT}/test/session/traces?test_session_token={token}")
    assert status == 200, f"test agent returned {status}: {body}"
    return [trace for trace in json.loads(body) if any(is_probe(span, token) for span in trace)]


def session_traces(token, expected_root_spans):
    """Poll the session until its probe traces hold the expected number of root spans, then return them.

    After that count is reached it waits one more flush interval, so that a duplicate span sent
    late would still be seen.
    """
    deadline = time.monotonic() + TRACE_WAIT_SECONDS
    while True:
        traces = fetch_session_traces(token)
        if len(root_spans(traces)) >= expected_root_spans:
            time.sleep(2)
            return fetch_session_traces(token)
        if time.monotonic() > deadline:
            return traces
        time.sleep(0.5)


def is_probe(span, token):
    return f"probe={token}" in span.get("meta", {}).get("http.url", "")


def root_spans(traces):
    """Return the spans without a parent (parent_id 0 or missing)."""
    return [span for trace in traces for span in trace if not span.get("parent_id")]


def probe_get(port, route, token):
    """Request a route of the app with the session token in the query string; return the status."""
    return http_get(f"http://127.0.0.1:{port}{route}?probe={token}")[0]


def run_playbook(*args, check=False):
    """Run playbooks/apm_app.yml against the scenario inventory and return (rc, JSON output)."""
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(PROJECT_DIR / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_FORCE_COLOR="0",
    )
    command = ["ansible-playbook", "-i", str(INVENTORY_DIR), str(PLAYBOOK), *args]
    if check:
        command += ["--check", "--diff"]
    completed = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
                               check=False)
    try:
        output = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"ansible-playbook output is not JSON (rc {completed.returncode}):\n"
                    f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return completed.returncode, output


def host_stats(output):
    """Return the play recap counters of the one host."""
    (stats,) = output["stats"].values()
    return stats


def task_results(output, name_suffix):
    """Return the host results of every task or handler whose name ends with name_suffix."""
    results = []
    for play in output["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith(name_suffix):
                results.extend(task["hosts"].values())
    return results


def failure_messages(output):
    """Return the msg of every failed task result."""
    return [
        result.get("msg", "")
        for play in output["plays"]
        for task in play["tasks"]
        for result in task["hosts"].values()
        if result.get("failed")
    ]


def master_pid(host):
    """Return the pid of the gunicorn master from the init script's pid file."""
    return int(host.file(PID_FILE).content_string.strip())


def test_service_running_and_enabled(host):
    service = host.service(SERVICE)
    assert service.is_running
    assert service.is_enabled


def test_gunicorn_runs_as_service_user(host):
    processes = host.process.filter(comm="gunicorn")
    assert processes, "no gunicorn process found"
    assert {process.user for process in processes} == {USER}


def test_listens_on_configured_port(host, app_vars):
    assert host.socket(f"tcp://127.0.0.1:{app_vars['apm_app_port']}").is_listening


def test_virtualenv_owned_by_service_user(host):
    for path in (VENV, f"{VENV}/bin/ddtrace-run", CODE):
        assert host.file(path).user == USER, path


def test_virtualenv_matches_pinned_requirements(host):
    pinned = {
        line.strip().lower()
        for line in (ROLE_FILES / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    frozen = host.check_output(f"{VENV}/bin/pip freeze --all --exclude pip --exclude setuptools")
    installed = {line.strip().lower() for line in frozen.splitlines() if line.strip()}
    assert installed == pinned


def test_environment_has_unified_service_tags(host, app_vars):
    content = host.file(ENV_FILE).content_string
    assert f'DD_SERVICE="{app_vars["apm_app_dd_service"]}"' in content
    assert f'DD_ENV="{app_vars["apm_app_dd_env"]}"' in content
    assert f'DD_VERSION="{app_vars["apm_app_dd_version"]}"' in content
    assert 'DD_AGENT_HOST="127.0.0.1"' in content


def test_each_request_traced_once(app_vars):
    port = app_vars["apm_app_port"]
    wait_for_port(port)
    token = start_session()
    for route in ROUTES:
        for request_number in range(REQUESTS_PER_ROUTE):
            assert probe_get(port, route, token) == 200, (route, request_number)

    traces = session_traces(token, len(ROUTES) * REQUESTS_PER_ROUTE)
    roots = root_spans(traces)

    # One trace per request, each with a single root span: a second instrumentation would add roots.
    assert len(traces) == len(ROUTES) * REQUESTS_PER_ROUTE
    assert len(roots) == len(traces)
    assert {span["name"] for span in roots} == {"flask.request"}
    for route in ROUTES:
        matching = [span for span in roots if span["resource"] == f"GET {route}"]
        assert len(matching) == REQUESTS_PER_ROUTE, route
    for span in roots:
        assert span["service"] == app_vars["apm_app_dd_service"]
        assert span["meta"]["env"] == app_vars["apm_app_dd_env"]
        assert span["meta"]["version"] == str(app_vars["apm_app_dd_version"])
        assert span["meta"]["http.status_code"] == "200"
        assert span["error"] == 0


def test_unknown_route_records_404(app_vars):
    port = app_vars["apm_app_port"]
    wait_for_port(port)
    token = start_session()
    assert probe_get(port, "/no-such-route", token) == 404

    roots = root_spans(session_traces(token, 1))
    assert len(roots) == 1
    assert roots[0]["name"] == "flask.request"
    assert roots[0]["meta"]["http.status_code"] == "404"


def test_check_mode_after_converge_changes_nothing():
    rc, output = run_playbook(check=True)
    assert rc == 0
    assert host_stats(output)["changed"] == 0


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        (8126, "reserved for the Datadog Agent"),
        (8125, "reserved for the Datadog Agent"),
        (0, "not a valid TCP port"),
        (65536, "not a valid TCP port"),
        ("http", "apm_app_port"),
    ],
)
def test_invalid_port_rejected_before_changes(host, port, expected):
    env_before = host.file(ENV_FILE).sha256sum
    pid_before = master_pid(host)

    rc, output = run_playbook("-e", json.dumps({"apm_app_port": port}))

    assert rc != 0
    messages = " ".join(failure_messages(output))
    assert expected in messages
    assert host_stats(output)["changed"] == 0
    assert host.file(ENV_FILE).sha256sum == env_before
    assert master_pid(host) == pid_before


def test_code_change_restarts_once(host, app_vars):
    pid_before = master_pid(host)
    host.run_test(f"echo '# local edit' >> {CODE}")

    rc, output = run_playbook()
    assert rc == 0
    restarts = task_results(output, RESTART_HANDLER)
    assert len(restarts) == 1
    assert restarts[0]["changed"]
    assert host.file(CODE).content_string == (ROLE_FILES / "app.py").read_text()
    assert master_pid(host) != pid_before
    wait_for_port(app_vars["apm_app_port"])

    pid_after = master_pid(host)
    rc, output = run_playbook()
    assert rc == 0
    assert host_stats(output)["changed"] == 0
    assert task_results(output, RESTART_HANDLER) == []
    assert master_pid(host) == pid_after


def test_version_change_restarts_once_and_retags(host, app_vars):
    port = app_vars["apm_app_port"]
    pid_before = master_pid(host)
    try:
        rc, output = run_playbook("-e", "apm_app_dd_version=9.9.9")
        assert rc == 0
        restarts = task_results(output, RESTART_HANDLER)
        assert len(restarts) == 1
        assert restarts[0]["changed"]
        assert master_pid(host) != pid_before

        wait_for_port(port)
        token = start_session()
        assert probe_get(port, "/api/trace", token) == 200
        roots = root_spans(session_traces(token, 1))
        assert [span["meta"]["version"] for span in roots] == ["9.9.9"]
    finally:
        rc, output = run_playbook()
    assert rc == 0
    assert len(task_results(output, RESTART_HANDLER)) == 1
