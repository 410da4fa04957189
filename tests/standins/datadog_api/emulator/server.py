"""HTTP server of the Datadog API emulator: routing, key checks, fault injection, request log, admin API.

Run: ``python -m emulator --port 8702 --state /path/state.json`` from the folder above this
package (the ``start`` script does that). See ../README.md for the resource interface.
"""

import argparse
import importlib
import json
import logging
import pkgutil
import re
import socket
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import ids
from .errors import ApiError
from .store import Store, empty_state

log = logging.getLogger("datadog_api_emulator")

# The stand-in keys of inventory/local/group_vars/all/datadog.yml.
DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef"
DEFAULT_APP_KEY = "0123456789abcdef0123456789abcdef01234567"

WRITE_METHODS = frozenset(["POST", "PUT", "PATCH", "DELETE"])
ADMIN_PREFIX = "/_emulator/"


class Request:
    """What a resource handler receives.

    Attributes:
    - ``method``, ``headers``, ``raw_body`` (bytes) and ``path`` (without the query string).
    - ``params``: the query parameters, each name mapped to its last value.
    - ``body``: the parsed JSON, or None when the request has no body.
    - ``match``: the ``re.Match`` of the route pattern, so ``request.match.group("id")`` works.
    - ``store``: the ``Store``.
    """

    def __init__(self, method, path, params, raw_body, headers, store):
        self.method = method
        self.path = path
        self.params = params
        self.raw_body = raw_body
        self.headers = headers
        self.store = store
        self.match = None
        self.body = None
        if raw_body:
            try:
                self.body = json.loads(raw_body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                self.body_error = str(exc)
            else:
                self.body_error = None
        else:
            self.body_error = None

    def json_body(self):
        """Return the JSON body, or raise a 400 like Datadog's when it is missing or malformed."""
        if self.body_error is not None:
            raise ApiError(400, "Invalid JSON: %s" % self.body_error)
        if self.body is None:
            raise ApiError(400, "Invalid JSON: request body is empty")
        return self.body


def load_routes():
    """Collect ``ROUTES`` from every module of the ``resources`` package that exists."""
    from . import resources

    routes = []
    for info in sorted(pkgutil.iter_modules(resources.__path__), key=lambda item: item.name):
        module = importlib.import_module("%s.%s" % (resources.__name__, info.name))
        for method, pattern, handler in getattr(module, "ROUTES", []):
            routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))
    return routes


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, store, api_keys, app_keys):
        super().__init__(address, EmulatorHandler)
        self.store = store
        self.api_keys = set(api_keys)
        self.app_keys = set(app_keys)
        self.routes = load_routes()


class EmulatorHandler(BaseHTTPRequestHandler):
    server_version = "datadog-api-emulator/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        log.info("%s %s", self.address_string(), format % args)

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # -- dispatch ---------------------------------------------------------------------------

    def _dispatch(self):
        parsed = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        request = Request(self.command, parsed.path, params, raw_body, self.headers, self.server.store)
        if parsed.path.startswith(ADMIN_PREFIX):
            self._answer_admin(request)
        else:
            self._answer_api(request, parsed.query)

    def _answer_api(self, request, query):
        fault = self._take_fault(request)
        entry = {
            "time": ids.iso_now(),
            "method": request.method,
            "path": request.path,
            "query": query,
            "write": request.method in WRITE_METHODS,
            "fault": fault["action"] if fault else None,
            "body": request.body,
        }
        if fault:
            log.info("injecting fault %s into %s %s", fault["action"], request.method, request.path)
        if fault and fault["action"] == "delay":
            time.sleep(float(fault.get("seconds", 1)))
        if fault and fault["action"] == "drop":
            self._log_request(entry, status=None)
            self._drop_connection()
            return
        if fault and fault["action"] == "status":
            error = ApiError(int(fault["status"]), fault.get("errors") or ["Injected fault"], fault.get("headers"))
            status, body, headers = error.status, error.body(), error.headers
        else:
            status, body, headers = self._run_handler(request)
        self._log_request(entry, status=status)
        if fault and fault["action"] == "drop_after_commit":
            # The handler has committed its change; the client never gets to know.
            self._drop_connection()
            return
        self._send_json(status, body, headers)

    def _run_handler(self, request):
        try:
            handler = self._route(request)
            self._check_keys(request, handler)
            result = handler(request)
        except ApiError as error:
            return error.status, error.body(), error.headers
        except Exception:  # a bug in a handler: respond like Datadog's 500 and log the traceback
            log.exception("handler failed for %s %s", request.method, request.path)
            return 500, {"errors": ["Internal Server Error"]}, {}
        if len(result) == 2:
            return result[0], result[1], {}
        return result

    def _route(self, request):
        path_matched = False
        for method, pattern, handler in self.server.routes:
            match = pattern.match(request.path)
            if not match:
                continue
            path_matched = True
            if method == request.method:
                request.match = match
                return handler
        if path_matched:
            raise ApiError(405, "Method Not Allowed")
        raise ApiError(404, "Not found")

    def _check_keys(self, request, handler):
        api_key = request.headers.get("DD-API-KEY")
        if not api_key:
            raise ApiError(403, "API key required")
        if api_key not in self.server.api_keys:
            raise ApiError(403, "Forbidden")
        if getattr(handler, "api_key_only", False):
            return
        app_key = request.headers.get("DD-APPLICATION-KEY")
        if not app_key or app_key not in self.server.app_keys:
            raise ApiError(403, "Forbidden")

    # -- faults and request log ------------------------------------------------------------

    def _take_fault(self, request):
        """Pop one use of the first pending fault whose method and path pattern match the request."""
        with self.server.store.transaction() as state:
            for fault in state["faults"]:
                if fault.get("method") and fault["method"].upper() != request.method:
                    continue
                if fault.get("path") and not re.search(fault["path"], request.path):
                    continue
                fault["remaining"] = int(fault.get("remaining", 1)) - 1
                state["faults"] = [f for f in state["faults"] if f["remaining"] > 0]
                return dict(fault)
        return None

    def _log_request(self, entry, status):
        entry["status"] = status
        with self.server.store.transaction() as state:
            entry["seq"] = len(state["requests"]) + 1
            state["requests"].append(entry)

    def _drop_connection(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- responses --------------------------------------------------------------------------

    def _send_json(self, status, body, headers=None):
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        if body is None:
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.end_headers()
        self.wfile.write(payload)

    # -- admin API --------------------------------------------------------------------------

    def _answer_admin(self, request):
        try:
            status, body = admin(request)
        except ApiError as error:
            status, body = error.status, error.body()
        self._send_json(status, body)


_ADMIN_OBJECT = re.compile(r"/_emulator/objects/(?P<kind>[a-z_]+)(?:/(?P<id>[^/]+))?\Z")


def admin(request):
    """Handle an admin request (no keys needed, never logged). See ../README.md for the list."""
    store = request.store
    path, method = request.path, request.method
    if path == "/_emulator/health":
        return 200, {"ok": True}
    if path == "/_emulator/reset" and method == "POST":
        with store.transaction() as state:
            state.clear()
            state.update(empty_state())
        return 200, {"reset": True}
    if path == "/_emulator/state" and method == "GET":
        return 200, store.snapshot()
    if path == "/_emulator/requests":
        if method == "DELETE":
            with store.transaction() as state:
                state["requests"] = []
            return 200, {"requests": []}
        entries = store.snapshot()["requests"]
        if request.params.get("write") == "true":
            entries = [entry for entry in entries if entry["write"]]
        return 200, {"requests": entries}
    if path == "/_emulator/faults":
        if method == "POST":
            fault = request.json_body()
            if fault.get("action") not in ("status", "delay", "drop", "drop_after_commit"):
                raise ApiError(400, "action must be one of: status, delay, drop, drop_after_commit")
            fault.setdefault("remaining", 1)
            with store.transaction() as state:
                state["faults"].append(fault)
            return 200, fault
        if method == "DELETE":
            with store.transaction() as state:
                state["faults"] = []
            return 200, {"faults": []}
        return 200, {"faults": store.snapshot()["faults"]}
    match = _ADMIN_OBJECT.match(path)
    if match:
        return _admin_objects(request, match.group("kind"), match.group("id"))
    raise ApiError(404, "Unknown admin endpoint %s %s" % (method, path))


def _admin_objects(request, kind, object_id):
    store = request.store
    if object_id is None:
        return 200, store.list_objects(kind)
    if request.method == "GET":
        obj = store.get_object(kind, object_id)
        if obj is None:
            raise ApiError(404, "%s %s not found" % (kind, object_id))
        return 200, obj
    with store.transaction() as state:
        objects = state["objects"].setdefault(kind, {})
        if request.method == "DELETE":
            if objects.pop(str(object_id), None) is None:
                raise ApiError(404, "%s %s not found" % (kind, object_id))
            return 200, {"deleted": object_id}
        if request.method == "PUT":
            objects[str(object_id)] = request.json_body()
        elif request.method == "PATCH":
            if str(object_id) not in objects:
                raise ApiError(404, "%s %s not found" % (kind, object_id))
            _deep_merge(objects[str(object_id)], request.json_body())
        else:
            raise ApiError(405, "Method Not Allowed")
        return 200, objects[str(object_id)]


def _deep_merge(target, changes):
    """Merge ``changes`` into ``target``: dicts recursively, every other value replaced (None included)."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value


def serve(host, port, state_path, api_keys, app_keys, ready=None):
    """Run the emulator until interrupted; ``ready`` (a threading.Event) is set once it listens."""
    server = EmulatorServer((host, port), Store(state_path), api_keys, app_keys)
    log.info("listening on http://%s:%s, state in %s", host, server.server_address[1], state_path)
    if ready is not None:
        ready.set()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description="Local emulator of the Datadog API for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--state", required=True, help="path of the JSON state file (created when missing)")
    parser.add_argument("--api-key", action="append", help="accepted DD-API-KEY (repeatable)")
    parser.add_argument("--app-key", action="append", help="accepted DD-APPLICATION-KEY (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    serve(args.host, args.port, args.state, args.api_key or [DEFAULT_API_KEY], args.app_key or [DEFAULT_APP_KEY])


if __name__ == "__main__":
    sys.exit(main())
