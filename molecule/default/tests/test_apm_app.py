"""The traced Flask app as site.yml deploys it with inventory/local.

The trace checks need Datadog's APM test agent on 127.0.0.1:8126 (tests/standins/trace_agent,
started by tests/standins/up); without it they are skipped. molecule/apm_app tests the role in
more depth (restarts, check mode, rejected ports).
"""

import json
import os
import socket
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE_DEFAULTS = os.path.join(REPO_ROOT, "roles", "apm_app", "defaults", "main.yml")
TEST_AGENT = "http://127.0.0.1:8126"
ROUTES = ("/", "/api/apm", "/api/trace")
TRACE_WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def app_vars(host):
    """Return the role defaults overlaid with the inventory's apm_app_* values."""
    with open(ROLE_DEFAULTS, encoding="utf-8") as defaults_file:
        merged = yaml.safe_load(defaults_file)
    inventory = host.ansible.get_variables()
    merged.update({name: value for name, value in inventory.items() if name.startswith("apm_app_")})
    return merged


def http_get(url):
    """Send a GET request and return (status, body), also for 4xx and 5xx responses."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def trace_agent_available():
    try:
        status, body = http_get(f"{TEST_AGENT}/info")
    except OSError:
        return False
    return status == 200 and json.loads(body).get("version") == "test"


def test_app_service_running_and_enabled(host, app_vars):
    service = host.service(app_vars["apm_app_service"])
    assert service.is_running
    assert service.is_enabled


def test_app_runs_as_service_user(host, app_vars):
    processes = host.process.filter(comm="gunicorn")
    assert processes, "no gunicorn process found"
    assert {process.user for process in processes} == {app_vars["apm_app_user"]}


def test_app_virtualenv_owned_by_service_user(host, app_vars):
    venv = host.file(os.path.join(app_vars["apm_app_home"], "venv"))
    assert venv.is_directory
    assert venv.user == app_vars["apm_app_user"]


def test_app_listens_on_configured_port(host, app_vars):
    address = app_vars["apm_app_bind_address"]
    assert host.socket(f"tcp://{address}:{app_vars['apm_app_port']}").is_listening


def test_app_routes_traced_with_service_tags(app_vars):
    if not trace_agent_available():
        pytest.skip(f"no ddapm-test-agent on {TEST_AGENT}; start it with tests/standins/up")
    port = app_vars["apm_app_port"]
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass

    # The token in the query string ends up in the span's http.url, which singles out this test's spans.
    token = f"site-apm-app-{uuid.uuid4().hex}"
    assert http_get(f"{TEST_AGENT}/test/session/start?test_session_token={token}")[0] == 200
    for route in ROUTES:
        assert http_get(f"http://127.0.0.1:{port}{route}?probe={token}")[0] == 200, route

    deadline = time.monotonic() + TRACE_WAIT_SECONDS
    while True:
        status, body = http_get(f"{TEST_AGENT}/test/session/traces?test_session_token={token}")
        assert status == 200, body
        roots = [
            span
            for trace in json.loads(body)
            for span in trace
            if not span.get("parent_id") and f"probe={token}" in span.get("meta", {}).get("http.url", "")
        ]
        if len(roots) >= len(ROUTES) or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert sorted(span["resource"] for span in roots) == sorted(f"GET {route}" for route in ROUTES)
    for span in roots:
        assert span["name"] == "flask.request"
        assert span["service"] == app_vars["apm_app_dd_service"]
        assert span["meta"]["env"] == str(app_vars["apm_app_dd_env"])
        assert span["meta"]["version"] == str(app_vars["apm_app_dd_version"])
        assert span["meta"]["http.status_code"] == "200"
