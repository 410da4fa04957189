# -*- coding: utf-8 -*-
"""DatadogClient against a fake HTTP layer plugged into datadogpy, so datadogpy's own code runs."""

from __future__ import absolute_import, division, print_function

import json

import pytest
from datadog.api.api_client import APIClient
from datadog.api.exceptions import ClientError, HTTPError, HttpTimeout

from ansible_collections.ddlab.observability.plugins.module_utils.datadog_api import (
    DATADOG_SITES,
    DatadogAPIError,
    DatadogClient,
    datadog_argument_spec,
)

API_KEY = "a" * 32
APP_KEY = "b" * 40


class FailJson(Exception):
    def __init__(self, kwargs):
        super(FailJson, self).__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule:
    def __init__(self, **params):
        self.params = dict(api_key=API_KEY, app_key=APP_KEY, site="datadoghq.com", api_url=None,
                           validate_certs=True, timeout=5.0)
        self.params.update(params)
        self.check_mode = False

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)


class FakeResponse:
    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self.content = b"" if body is None else json.dumps(body).encode("utf-8")
        self.headers = dict(headers or {})


class FakeHTTP:
    """Plays a script of answers; each is a FakeResponse or an exception class to raise like RequestClient."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, url, headers, params, data, timeout, proxies, verify, max_retries):
        self.calls.append(dict(method=method, url=url, headers=headers, params=params, data=data))
        answer = self.answers.pop(0)
        if answer == "timeout":
            raise HttpTimeout(method, url, timeout)
        if answer == "drop":
            raise ClientError(method, url, "Connection aborted: RemoteDisconnected")
        # RequestClient raises HTTPError for codes outside 400, 401, 403, 404, 409, 429.
        if answer.status_code >= 500:
            raise HTTPError(answer.status_code, "Internal Server Error")
        return answer


@pytest.fixture
def fake_http(monkeypatch):
    def install(answers):
        fake = FakeHTTP(answers)
        monkeypatch.setattr(APIClient, "_http_client", fake)
        return fake
    return install


@pytest.fixture
def client():
    instance = DatadogClient(FakeModule(api_url="http://127.0.0.1:1"))
    instance.waits = []
    instance.sleep = instance.waits.append
    return instance


def test_argument_spec_secrets_and_fallbacks():
    spec = datadog_argument_spec()
    assert spec["api_key"]["no_log"] is True
    assert spec["app_key"]["no_log"] is True
    assert spec["api_key"]["fallback"][1] == ["DD_API_KEY"]
    assert spec["app_key"]["fallback"][1] == ["DD_APP_KEY"]
    assert spec["site"]["fallback"][1] == ["DD_SITE"]
    assert set(spec["site"]["choices"]) == set(DATADOG_SITES)


@pytest.mark.parametrize("site, api_host", [
    ("datadoghq.com", "https://api.datadoghq.com"),
    ("us3.datadoghq.com", "https://api.us3.datadoghq.com"),
    ("us5.datadoghq.com", "https://api.us5.datadoghq.com"),
    ("datadoghq.eu", "https://api.datadoghq.eu"),
    ("ap1.datadoghq.com", "https://api.ap1.datadoghq.com"),
    ("ap2.datadoghq.com", "https://api.ap2.datadoghq.com"),
    ("ddog-gov.com", "https://api.ddog-gov.com"),
])
def test_site_selects_api_host(fake_http, site, api_host):
    fake = fake_http([FakeResponse(200, {"valid": True})])
    DatadogClient(FakeModule(site=site)).request("GET", "validate")
    assert fake.calls[0]["url"] == api_host + "/api/v1/validate"


def test_keys_sent_as_headers(fake_http, client):
    fake = fake_http([FakeResponse(200, [])])
    client.request("GET", "monitor", params={"name": "x"})
    assert fake.calls[0]["headers"]["DD-API-KEY"] == API_KEY
    assert fake.calls[0]["headers"]["DD-APPLICATION-KEY"] == APP_KEY
    assert fake.calls[0]["params"] == {"name": "x"}


def test_v2_path(fake_http, client):
    fake = fake_http([FakeResponse(200, {"data": []})])
    client.request("GET", "downtime", api_version="v2")
    assert fake.calls[0]["url"] == "http://127.0.0.1:1/api/v2/downtime"


@pytest.mark.parametrize("status, errors", [
    (400, ["The value provided for parameter 'query' is invalid"]),
    (403, ["Forbidden"]),
    (404, ["Monitor not found"]),
    (409, ["Conflict"]),
])
def test_error_dict_becomes_failure(fake_http, client, status, errors):
    fake_http([FakeResponse(status, {"errors": errors})])
    with pytest.raises(DatadogAPIError) as caught:
        client.request("PUT", "monitor/5", body={"name": "x"})
    assert caught.value.status == status
    assert caught.value.errors == errors
    assert caught.value.path == "/api/v1/monitor/5"
    assert caught.value.method == "PUT"
    assert errors[0] in str(caught.value)
    assert str(status) in str(caught.value)


def test_get_or_none_on_404(fake_http, client):
    fake_http([FakeResponse(404, {"errors": ["Monitor not found"]})])
    assert client.get_or_none("monitor/1") is None


def test_delete_if_exists_on_404(fake_http, client):
    fake_http([FakeResponse(404, {"errors": ["Monitor not found"]})])
    assert client.delete_if_exists("monitor/1") is False


def test_rate_limit_waits_for_reset(fake_http, client):
    fake = fake_http([
        FakeResponse(429, {"errors": ["Rate limit"]}, {"X-RateLimit-Reset": "3"}),
        FakeResponse(200, {"id": 1}),
    ])
    assert client.request("POST", "monitor", body={"name": "x"}) == {"id": 1}
    assert client.waits == [3.0]
    assert len(fake.calls) == 2


def test_rate_limit_wait_is_bounded(fake_http, client):
    fake_http([
        FakeResponse(429, {"errors": ["Rate limit"]}, {"X-RateLimit-Reset": "3600"}),
        FakeResponse(200, {}),
    ])
    client.request("GET", "monitor")
    assert client.waits == [DatadogClient.RATE_LIMIT_MAX_WAIT]


def test_server_errors_back_off_exponentially(fake_http, client):
    fake_http([FakeResponse(500), FakeResponse(502), FakeResponse(503), FakeResponse(200, [])])
    assert client.request("GET", "monitor") == []
    assert client.waits == [0.5, 1.0, 2.0]


def test_retry_budget_gives_up(fake_http, client):
    clock = [0.0]
    client.clock = lambda: clock[0]

    def sleep(seconds):
        clock[0] += seconds
    client.sleep = sleep
    fake_http([FakeResponse(500)] * 50)
    with pytest.raises(DatadogAPIError) as caught:
        client.request("GET", "monitor")
    assert caught.value.status == 500
    assert clock[0] <= DatadogClient.RETRY_BUDGET


def test_timeout_on_get_is_retried(fake_http, client):
    fake_http(["timeout", FakeResponse(200, {"id": 3})])
    assert client.request("GET", "monitor/3") == {"id": 3}
    assert client.waits == [0.5]


def test_post_not_retried_blindly(fake_http, client):
    fake = fake_http(["drop", FakeResponse(200, {"id": 9})])
    with pytest.raises(DatadogAPIError) as caught:
        client.request("POST", "monitor", body={"name": "x"})
    assert caught.value.ambiguous is True
    assert caught.value.status is None
    assert len(fake.calls) == 1


def test_create_finds_existing_after_drop(fake_http, client):
    fake = fake_http(["drop"])
    lookups = []

    def find_existing():
        lookups.append(True)
        return {"id": 42, "name": "x"}
    assert client.create("monitor", {"name": "x"}, find_existing) == {"id": 42, "name": "x"}
    assert lookups == [True]
    assert [call["method"] for call in fake.calls] == ["POST"]


# After a dropped connection or a 5xx the server is done with the request, so a second POST is safe.
@pytest.mark.parametrize("failure", ["drop", FakeResponse(503)], ids=["drop", "503"])
def test_create_resends_when_nothing_exists(fake_http, client, failure):
    fake = fake_http([failure, FakeResponse(200, {"id": 7})])
    assert client.create("monitor", {"name": "x"}, lambda: None) == {"id": 7}
    assert [call["method"] for call in fake.calls] == ["POST", "POST"]


# After a timeout the server may still be creating the object, so the client polls and never re-sends.
@pytest.mark.parametrize("found_on_lookup", [1, 2, 4])
def test_create_timeout_polls_without_resend(fake_http, client, found_on_lookup):
    fake = fake_http(["timeout"])
    lookups = []

    def find_existing():
        lookups.append(True)
        return {"id": 5} if len(lookups) == found_on_lookup else None
    assert client.create("monitor", {"name": "x"}, find_existing) == {"id": 5}
    assert len(lookups) == found_on_lookup
    assert [call["method"] for call in fake.calls] == ["POST"]
    assert client.waits == [0.5, 1.0, 2.0, 4.0][:found_on_lookup]


def test_create_timeout_gives_up_after_window(fake_http, client):
    fake = fake_http(["timeout"])
    with pytest.raises(DatadogAPIError) as caught:
        client.create("monitor", {"name": "x"}, lambda: None)
    window = client.module.params["timeout"] + DatadogClient.CREATE_SETTLE_MARGIN
    assert sum(client.waits) == pytest.approx(window)
    assert [call["method"] for call in fake.calls] == ["POST"]
    assert caught.value.timed_out is True
    for words in ("timed out", "may still be creating it", "not sent again", "Run the task again"):
        assert words in caught.value.message


def test_create_does_not_retry_client_errors(fake_http, client):
    fake = fake_http([FakeResponse(400, {"errors": ["bad"]})])
    with pytest.raises(DatadogAPIError):
        client.create("monitor", {"name": "x"}, lambda: pytest.fail("no lookup after a 400"))
    assert len(fake.calls) == 1


@pytest.mark.parametrize("key, variable", [("api_key", "DD_API_KEY"), ("app_key", "DD_APP_KEY")])
@pytest.mark.parametrize("value", ["", "  "])
def test_empty_key_fails_before_any_call(fake_http, key, variable, value):
    fake = fake_http([])
    with pytest.raises(FailJson) as caught:
        DatadogClient(FakeModule(**{key: value}))
    assert caught.value.kwargs["msg"] == "%s is empty: set %s or %s" % (key, key, variable)
    assert fake.calls == []


API_URL_CASES = [
    ("not a url", "scheme://host[:port]"),
    ("api.datadoghq.eu", "scheme://host[:port]"),
    ("ftp://api.datadoghq.eu", "scheme://host[:port]"),
    ("http://127.0.0.1:port", "scheme://host[:port]"),
    ("https://api.datadoghq.eu/api/v1", "base URL"),
    ("https://api.datadoghq.eu/api/", "base URL"),
    ("https://api.datadoghq.eu?x=1", "scheme://host[:port]"),
    ("", "empty"),
]


@pytest.mark.parametrize("api_url, words", API_URL_CASES)
def test_invalid_api_url_fails_before_any_call(fake_http, api_url, words):
    fake = fake_http([])
    with pytest.raises(FailJson) as caught:
        DatadogClient(FakeModule(api_url=api_url))
    assert words in caught.value.kwargs["msg"]
    assert repr(api_url) in caught.value.kwargs["msg"] or not api_url
    assert fake.calls == []


@pytest.mark.parametrize("api_url, base", [
    ("http://127.0.0.1:8702", "http://127.0.0.1:8702"),
    ("http://127.0.0.1:8702/", "http://127.0.0.1:8702"),
    ("https://api.datadoghq.eu", "https://api.datadoghq.eu"),
])
def test_valid_api_url(api_url, base):
    assert DatadogClient(FakeModule(api_url=api_url)).api_url == base


def test_validate_keys_names_key_and_site(fake_http):
    fake_http([FakeResponse(403, {"errors": ["Forbidden"]})])
    client = DatadogClient(FakeModule(site="datadoghq.eu"))
    with pytest.raises(FailJson) as caught:
        client.validate_keys()
    message = caught.value.kwargs["msg"]
    assert "API key" in message
    assert "datadoghq.eu" in message
    assert API_KEY not in message
    assert caught.value.kwargs["status"] == 403


def test_app_key_403_message(fake_http, client):
    fake_http([FakeResponse(403, {"errors": ["Forbidden"]})])
    with pytest.raises(DatadogAPIError) as caught:
        client.request("GET", "monitor")
    assert "app_key" in str(caught.value)


def test_datadogpy_circuit_breaker_is_reset(fake_http, client):
    fake_http(["timeout", "timeout", "timeout", "timeout", FakeResponse(200, [])])
    assert client.request("GET", "monitor") == []
