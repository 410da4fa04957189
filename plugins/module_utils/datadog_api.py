# -*- coding: utf-8 -*-
# Copyright: ddlab maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared Datadog API access for the ddlab.observability modules.

Interface used by every module of the collection (keep it stable):

* ``datadog_argument_spec()`` returns the connection options that the doc fragment
  ``ddlab.observability.datadog`` documents: ``api_key``, ``app_key``, ``site``, ``api_url``,
  ``validate_certs`` and ``timeout``.
* ``DatadogClient(module)`` sends every call through ``request()``; ``get_or_none()``,
  ``delete_if_exists()``, ``create()`` and ``validate_keys()`` are built on it.
* Every failure is a ``DatadogAPIError`` with ``status``, ``errors`` (the API's own error
  strings), ``method`` and ``path``; ``DatadogClient.fail(exc)`` turns it into ``fail_json``.

Paths are given relative to the API version, as datadogpy expects: ``request("GET", "monitor/12")``
calls ``<api host>/api/v1/monitor/12``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time
import traceback

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    import datadog
    from datadog.api.api_client import APIClient
    from datadog.api.exceptions import ClientError, HTTPError, HttpTimeout
except ImportError:
    HAS_DATADOG = False
    DATADOG_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DATADOG = True
    DATADOG_IMPORT_ERROR = None


# Datadog site -> (API base URL, web app base URL).
DATADOG_SITES = {
    "datadoghq.com": ("https://api.datadoghq.com", "https://app.datadoghq.com"),
    "us3.datadoghq.com": ("https://api.us3.datadoghq.com", "https://us3.datadoghq.com"),
    "us5.datadoghq.com": ("https://api.us5.datadoghq.com", "https://us5.datadoghq.com"),
    "datadoghq.eu": ("https://api.datadoghq.eu", "https://app.datadoghq.eu"),
    "ap1.datadoghq.com": ("https://api.ap1.datadoghq.com", "https://ap1.datadoghq.com"),
    "ap2.datadoghq.com": ("https://api.ap2.datadoghq.com", "https://ap2.datadoghq.com"),
    "ddog-gov.com": ("https://api.ddog-gov.com", "https://app.ddog-gov.com"),
}

# datadogpy (0.56) turns an {"errors": [...]} body into a returned dict (mute=True) or an ApiError
# (mute=False), in both cases without the status code or headers. Suppressing that for every status,
# with return_raw_response=True, makes submit() return (body, response), so the status and the
# rate-limit headers are checked here, in one place.
_ALL_STATUS_CODES = list(range(100, 600))


def datadog_argument_spec():
    """Return the connection options shared by every Datadog module (documented in the doc fragment)."""
    return dict(
        api_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["DD_API_KEY"])),
        app_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["DD_APP_KEY"])),
        site=dict(
            type="str",
            default="datadoghq.com",
            choices=sorted(DATADOG_SITES),
            fallback=(env_fallback, ["DD_SITE"]),
        ),
        api_url=dict(type="str"),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="float", default=30.0),
    )


class DatadogAPIError(Exception):
    """A failed Datadog API call.

    ``status`` is the HTTP status code, or None when no response arrived (timeout, dropped
    connection). ``errors`` is the list of error strings from the API's ``{"errors": [...]}`` body.
    ``ambiguous`` is True when the request may have reached the server and been applied although no
    response came back (timeout, dropped connection, 5xx), so callers must not blindly re-send a create.
    ``timed_out`` is True when no response came within the timeout: the server may still be working
    on the request, unlike after a dropped connection or a 5xx, when it is done with it.
    ``rate_limit_reset`` is the ``X-RateLimit-Reset`` header of a 429 in seconds, else None.
    """

    def __init__(self, message, status=None, errors=None, method=None, path=None, ambiguous=False,
                 timed_out=False):
        super(DatadogAPIError, self).__init__(message)
        self.message = message
        self.status = status
        self.errors = list(errors or [])
        self.method = method
        self.path = path
        self.ambiguous = ambiguous
        self.timed_out = timed_out
        self.rate_limit_reset = None

    def to_fail_kwargs(self):
        """Return the keyword arguments for ``module.fail_json``: msg plus the context as keys."""
        return dict(msg=self.message, status=self.status, errors=self.errors, method=self.method, path=self.path)


class DatadogClient:
    """One HTTP path to the Datadog API for a module, on top of datadogpy's ``APIClient.submit``.

    Retry policy of ``request()`` (class attributes, so tests and callers can tune them):

    * 429: wait for ``X-RateLimit-Reset`` seconds (at most ``RATE_LIMIT_MAX_WAIT``), then retry.
    * 5xx, timeouts and dropped connections: exponential backoff from ``BACKOFF_INITIAL`` seconds,
      doubling up to ``BACKOFF_MAX``, for idempotent methods (GET, PUT, PATCH, DELETE) only.
    * A retry whose wait would end more than ``RETRY_BUDGET`` seconds after the first attempt is not
      made, and the last error is raised.

    A POST that fails ambiguously is not retried here, because ``create()`` looks the object up first.

    NOTE: datadogpy keeps keys and host in module globals, so the last client created in a process
    sets them for all. Ansible runs each module task in its own process.
    """

    RETRY_BUDGET = 60.0
    # After a create timed out, find_existing() is polled for the request timeout plus this margin.
    CREATE_SETTLE_MARGIN = 5.0
    RATE_LIMIT_MAX_WAIT = 30.0
    BACKOFF_INITIAL = 0.5
    BACKOFF_MAX = 8.0
    IDEMPOTENT_METHODS = frozenset(["GET", "PUT", "PATCH", "DELETE", "HEAD"])

    def __init__(self, module):
        if not HAS_DATADOG:
            module.fail_json(msg=missing_required_lib("datadog"), exception=DATADOG_IMPORT_ERROR)
        self.module = module
        params = module.params
        for key, variable in (("api_key", "DD_API_KEY"), ("app_key", "DD_APP_KEY")):
            if not (params.get(key) or "").strip():
                module.fail_json(msg="%s is empty: set %s or %s" % (key, key, variable))
        self.site = params["site"]
        if params.get("api_url") is not None:
            self.api_url = validate_api_url(module, params["api_url"])
            self.app_url = self.api_url
            self.target = "api_url %s" % self.api_url
        else:
            self.api_url, self.app_url = DATADOG_SITES[self.site]
            self.target = "site %s" % self.site
        self.sleep = time.sleep
        self.clock = time.monotonic
        # host_name avoids datadogpy's hostname detection, which reads Agent files and runs commands.
        # max_retries=0 leaves every retry decision to request(); datadogpy would only retry
        # connection errors, and only on https.
        datadog.initialize(
            api_key=params["api_key"],
            app_key=params["app_key"],
            api_host=self.api_url,
            host_name="ansible-ddlab-observability",
            return_raw_response=True,
            mute=False,
            cacert=params["validate_certs"],
            timeout=params["timeout"],
            max_retries=0,
        )

    # -- the one request path -------------------------------------------------------------

    def request(self, method, path, body=None, params=None, api_version="v1", retry_ambiguous=None):
        """Send one API call and return its parsed JSON body (None for an empty body).

        ``path`` is relative to ``/api/<api_version>/``. Raises ``DatadogAPIError`` for every
        status >= 400, for a body carrying ``errors``, and for timeouts and dropped connections
        once the retry policy gives up. ``retry_ambiguous`` defaults to True for idempotent methods.
        """
        method = method.upper()
        full_path = "/api/%s/%s" % (api_version, path.strip("/"))
        if retry_ambiguous is None:
            retry_ambiguous = method in self.IDEMPOTENT_METHODS
        started = self.clock()
        backoff = self.BACKOFF_INITIAL
        while True:
            try:
                return self._send_once(method, path, body, params, api_version, full_path)
            except DatadogAPIError as exc:
                wait = self._retry_wait(exc, retry_ambiguous, backoff)
                if wait is None or self.clock() + wait - started > self.RETRY_BUDGET:
                    raise
                if exc.status != 429:
                    backoff = min(backoff * 2, self.BACKOFF_MAX)
                self.sleep(wait)

    def _retry_wait(self, exc, retry_ambiguous, backoff):
        """Return the seconds to wait before retrying after ``exc``, or None to give up."""
        if exc.status == 429:
            return min(max(exc.rate_limit_reset or 1.0, 0.1), self.RATE_LIMIT_MAX_WAIT)
        if exc.ambiguous and retry_ambiguous:
            return backoff
        return None

    def _send_once(self, method, path, body, params, api_version, full_path):
        # datadogpy keeps a process-wide timeout counter and, after three timeouts, rejects every
        # call for five minutes (HttpBackoff). The retry budget here replaces that circuit breaker.
        APIClient._timeout_counter = 0
        APIClient._backoff_timestamp = None
        try:
            result = APIClient.submit(
                method,
                path,
                api_version=api_version,
                body=body,
                suppress_response_errors_on_codes=_ALL_STATUS_CODES,
                **(params or {})
            )
        except HttpTimeout:
            raise DatadogAPIError(
                "%s %s timed out after %s seconds (%s)" % (method, full_path, self.module.params["timeout"], self.target),
                method=method, path=full_path, ambiguous=True, timed_out=True,
            )
        except ClientError as exc:
            raise DatadogAPIError(
                "%s %s failed: connection error (%s): %s" % (method, full_path, self.target, exc.args[-1]),
                method=method, path=full_path, ambiguous=True,
            )
        except HTTPError as exc:
            # datadogpy (0.56) raises HTTPError for 5xx and other unexpected codes, drops the response
            # (so a 5xx body's error strings are lost) and keeps the status only inside its message.
            status, reason = _parse_http_error(exc)
            raise DatadogAPIError(
                "%s %s failed with HTTP %s %s (%s)" % (method, full_path, status, reason, self.target),
                status=status, errors=[reason] if reason else [], method=method, path=full_path,
                ambiguous=status is None or status >= 500,
            )
        except ValueError as exc:
            # A body that is not JSON, for example an HTML error page from a proxy.
            raise DatadogAPIError(
                "%s %s returned a response that is not JSON (%s): %s" % (method, full_path, self.target, exc),
                method=method, path=full_path,
            )
        payload, response = result
        status = response.status_code
        errors = _error_strings(payload)
        if status >= 400 or (errors and status >= 300):
            exc = DatadogAPIError(
                self._error_message(method, full_path, status, errors),
                status=status, errors=errors, method=method, path=full_path,
                ambiguous=status >= 500,
            )
            exc.rate_limit_reset = _float_header(response.headers, "X-RateLimit-Reset")
            raise exc
        if errors and not _has_data(payload):
            raise DatadogAPIError(
                self._error_message(method, full_path, status, errors),
                status=status, errors=errors, method=method, path=full_path,
            )
        return payload

    def _error_message(self, method, full_path, status, errors):
        detail = "; ".join(errors) if errors else "no error details in the response"
        message = "%s %s failed with HTTP %s: %s" % (method, full_path, status, detail)
        if status == 403:
            message += (
                ". Datadog (%s) rejected the keys: check that app_key (DD_APP_KEY) is valid for this "
                "site and has the permissions this call needs" % self.target
            )
        return message

    # -- helpers built on request() -------------------------------------------------------

    def validate_keys(self):
        """Check the API key with ``GET /api/v1/validate`` and fail the module on a 401 or 403.

        ``fail()`` calls it when another call was rejected, to tell a bad API key from a bad app key.
        """
        try:
            self.request("GET", "validate")
        except DatadogAPIError as exc:
            if exc.status in (401, 403):
                self.module.fail_json(
                    msg="Datadog rejected the API key for %s (HTTP %s: %s). Check api_key (or DD_API_KEY) "
                    "and that it belongs to an organization on this site; set site (or DD_SITE) to the "
                    "site of your Datadog account." % (self.target, exc.status, "; ".join(exc.errors) or "forbidden"),
                    status=exc.status, errors=exc.errors, method=exc.method, path=exc.path,
                )
            self.fail(exc)

    def get_or_none(self, path, params=None, api_version="v1"):
        """GET ``path`` and return its body, or None when the API responds 404."""
        try:
            return self.request("GET", path, params=params, api_version=api_version)
        except DatadogAPIError as exc:
            if exc.status == 404:
                return None
            raise

    def delete_if_exists(self, path, params=None, api_version="v1"):
        """DELETE ``path``. Return True when deleted, False when the API responds 404 (already gone)."""
        try:
            self.request("DELETE", path, params=params, api_version=api_version)
        except DatadogAPIError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def create(self, path, body, find_existing, api_version="v1"):
        """POST ``body`` to ``path`` and return the created object, without ever making a duplicate.

        After an ambiguous failure the object may exist already, so ``find_existing()`` runs before
        anything else: it takes no arguments and returns the object or None, and a found object is
        returned as the result.

        * Dropped connection or 5xx: the server is done with the request. If the look-up finds
          nothing, the POST is sent again (with backoff, within ``RETRY_BUDGET``).
        * Timeout: the server may still be working on the first POST, and a second one could make a
          duplicate. The POST is never sent again; ``find_existing()`` is polled with backoff for
          the request timeout plus ``CREATE_SETTLE_MARGIN`` seconds, then the create fails.

        429 is retried inside ``request()``.
        """
        started = self.clock()
        backoff = self.BACKOFF_INITIAL
        while True:
            try:
                return self.request("POST", path, body=body, api_version=api_version, retry_ambiguous=False)
            except DatadogAPIError as exc:
                if exc.timed_out:
                    return self._await_created(exc, find_existing)
                if not exc.ambiguous or self.clock() + backoff - started > self.RETRY_BUDGET:
                    raise
                last_error = exc
            self.sleep(backoff)
            backoff = min(backoff * 2, self.BACKOFF_MAX)
            existing = find_existing()
            if existing is not None:
                return existing
            if self.clock() - started > self.RETRY_BUDGET:
                raise last_error

    def _await_created(self, exc, find_existing):
        """Poll ``find_existing()`` after a timed-out create; return the object or raise a DatadogAPIError."""
        window = float(self.module.params["timeout"]) + self.CREATE_SETTLE_MARGIN
        deadline = self.clock() + window
        waited = 0.0
        wait = self.BACKOFF_INITIAL
        while True:
            wait = min(wait, max(window - waited, 0.0))
            self.sleep(wait)
            waited += wait
            existing = find_existing()
            if existing is not None:
                return existing
            if waited >= window or self.clock() >= deadline:
                break
            wait = min(wait * 2, self.BACKOFF_MAX)
        raise DatadogAPIError(
            "%s, and the object did not appear in the following %g seconds. Datadog may still be creating it, "
            "so the request was not sent again (that could make a duplicate). Run the task again: it finds the "
            "object if it appeared, and creates it otherwise. If this keeps happening, raise timeout."
            % (exc.message, window),
            method=exc.method, path=exc.path, ambiguous=True, timed_out=True,
        )

    def fail(self, exc, **extra):
        """Fail the module with the details of a ``DatadogAPIError``.

        Keys are not checked up front, because that would cost one extra request per task. Every module
        reads before it writes, so a rejected key surfaces on a read. One ``validate`` call then shows
        whether the API key or the app key was rejected.
        """
        if exc.status in (401, 403) and not (exc.path or "").endswith("/validate"):
            self.validate_keys()
        kwargs = exc.to_fail_kwargs()
        kwargs.update(extra)
        self.module.fail_json(**kwargs)


def validate_api_url(module, value):
    """Return ``value`` without a trailing slash, or fail the module unless it is ``scheme://host[:port]``."""
    text = value.strip()
    expected = ("give the base URL of the API as scheme://host[:port], for example https://api.datadoghq.eu "
                "or http://127.0.0.1:8702")
    if not text:
        module.fail_json(msg="api_url is empty: omit it to use site, or %s" % expected)
    try:
        parts = urlsplit(text)
        # urlsplit() accepts any port text. Reading .port raises ValueError unless it is a number up to 65535.
        port = parts.port
    except ValueError:
        parts = port = None
    valid = (parts is not None and port != 0 and parts.scheme in ("http", "https") and parts.hostname
             and not parts.query and not parts.fragment and not any(char.isspace() for char in text))
    if not valid:
        module.fail_json(msg="api_url %r is not a valid URL: %s" % (value, expected))
    if parts.path.strip("/"):
        module.fail_json(msg="api_url %r has a path (%s): api_url is the base URL without /api/v1 or any other path; "
                         "%s" % (value, parts.path, expected))
    return "%s://%s" % (parts.scheme, parts.netloc)


_HTTP_ERROR_MESSAGE = re.compile(r"response code: (?P<status>\d+)(?: - (?P<reason>.*?))?\. Please")


def _parse_http_error(exc):
    """Return ``(status, reason)`` from a datadogpy HTTPError message; status is None if it is not found."""
    match = _HTTP_ERROR_MESSAGE.search(str(exc))
    if not match:
        return None, str(exc)
    return int(match.group("status")), match.group("reason") or ""


def _error_strings(payload):
    """Return the API's error strings from a response body (a list, a string or absent)."""
    if not isinstance(payload, dict):
        return []
    errors = payload.get("errors")
    if not errors:
        return []
    if isinstance(errors, (list, tuple)):
        return [e if isinstance(e, str) else repr(e) for e in errors]
    return [str(errors)]


def _has_data(payload):
    return isinstance(payload, dict) and any(key != "errors" for key in payload)


def _float_header(headers, name):
    value = headers.get(name) if headers is not None else None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
