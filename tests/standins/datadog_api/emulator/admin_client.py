"""Small client for tests: the emulator's admin API plus a process handle (stdlib only)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from .server import DEFAULT_API_KEY, DEFAULT_APP_KEY

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EmulatorAdmin:
    """Admin calls against a running emulator at ``url`` (for example ``http://127.0.0.1:8702``)."""

    def __init__(self, url, api_key=DEFAULT_API_KEY, app_key=DEFAULT_APP_KEY):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.app_key = app_key

    def call(self, method, path, body=None, headers=None):
        """Send a request and return ``(status, parsed JSON or None, response headers)``."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, response_headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, response_headers = error.code, error.read(), dict(error.headers)
        return status, (json.loads(raw) if raw else None), response_headers

    def api(self, method, path, body=None, api_key=None, app_key=None):
        """Call an API route with the keys (defaults: the keys the emulator accepts)."""
        headers = {
            "DD-API-KEY": api_key if api_key is not None else self.api_key,
            "DD-APPLICATION-KEY": app_key if app_key is not None else self.app_key,
        }
        return self.call(method, path, body, {k: v for k, v in headers.items() if v})

    def _admin(self, method, path, body=None):
        status, payload = self.call(method, "/_emulator/" + path, body)[:2]
        if status != 200:
            raise AssertionError("emulator admin %s %s failed with HTTP %s: %s" % (method, path, status, payload))
        return payload

    def reset(self):
        self._admin("POST", "reset")

    def requests(self, writes_only=False):
        """Return the request log (API calls only, oldest first)."""
        return self._admin("GET", "requests" + ("?write=true" if writes_only else ""))["requests"]

    def write_requests(self):
        return self.requests(writes_only=True)

    def clear_requests(self):
        self._admin("DELETE", "requests")

    def objects(self, kind):
        """Return the stored objects of ``kind`` (``monitor``, ``dashboard``, ``downtime``)."""
        return self._admin("GET", "objects/%s" % kind)

    def get_object(self, kind, object_id):
        return self._admin("GET", "objects/%s/%s" % (kind, object_id))

    def put_object(self, kind, object_id, obj):
        return self._admin("PUT", "objects/%s/%s" % (kind, object_id), obj)

    def patch_object(self, kind, object_id, changes):
        """Deep-merge ``changes`` into a stored object, as an edit in the Datadog UI would change it."""
        return self._admin("PATCH", "objects/%s/%s" % (kind, object_id), changes)

    def add_fault(self, action, method=None, path=None, remaining=1, **details):
        """Queue a fault for the next ``remaining`` matching API calls.

        ``action``: ``status`` (with ``status``, optional ``errors`` and ``headers``), ``delay`` (with
        ``seconds``, then a normal response), ``drop`` (close without a response, change
        nothing) or ``drop_after_commit`` (apply the call, then close without answering).
        ``path`` is a regular expression searched in the request path.
        """
        fault = dict(action=action, remaining=remaining, **details)
        if method:
            fault["method"] = method
        if path:
            fault["path"] = path
        return self._admin("POST", "faults", fault)

    def clear_faults(self):
        self._admin("DELETE", "faults")

    def faults(self):
        return self._admin("GET", "faults")["faults"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmulatorProcess:
    """An emulator in a child process on a free port of 127.0.0.1, with its state in ``state_path``."""

    def __init__(self, state_path, log_path, python=sys.executable, port=None):
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [python, "-m", "emulator", "--host", "127.0.0.1", "--port", str(self.port), "--state", state_path],
            cwd=PACKAGE_PARENT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.admin = EmulatorAdmin(self.url)
        self._wait_until_ready()

    def _wait_until_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("emulator exited with %s; see %s" % (self.process.returncode, self.log_path))
            try:
                if self.admin.call("GET", "/_emulator/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("emulator did not answer on %s within %s s; see %s" % (self.url, timeout, self.log_path))

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
