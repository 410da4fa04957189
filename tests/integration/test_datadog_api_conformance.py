"""Replay requests recorded from the real Datadog API against the emulator and compare the responses.

The recordings (vcrpy cassettes from datadog-api-client-python's test suite) are read in place from
the folder RECORDINGS names, or from $DATADOG_RECORDINGS, and the test skips when they are absent.
For each interaction the emulator must return the same status code, and its body must
have the same shape: the same keys (a few newer keys allowed, see ALLOWED_EXTRA_KEYS), the same value
types, lists of the same length, and strings of the same format class (UUID, dashboard id, timestamp).
Server-chosen values (ids, timestamps, handles) naturally differ: ids created during a replay are
mapped, so later requests of the same recording address the emulator's objects.
"""

import glob
import json
import os
import re
import urllib.parse

import pytest
import yaml

from playbook_runner import REPO_ROOT

RECORDINGS = os.environ.get("DATADOG_RECORDINGS") or os.path.join(
    os.path.dirname(REPO_ROOT), "shared", "datadog-recordings")
FILES = sorted(glob.glob(os.path.join(RECORDINGS, "v*", "*.yaml")))

# Keys that Datadog added after some recordings were made. The emulator returns the newer shape.
ALLOWED_EXTRA_KEYS = frozenset(["restriction_policy", "is_read_only"])

# Routes the emulator does not serve, with the reason: (method, path) -> reason. Empty while every
# recorded route is emulated.
NOT_EMULATED = {}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DASHBOARD_ID = re.compile(r"^[a-z0-9]{3}-[a-z0-9]{3}-[a-z0-9]{3}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)$")


def string_format(value):
    for name, pattern in (("uuid", _UUID), ("dashboard id", _DASHBOARD_ID), ("timestamp", _TIMESTAMP)):
        if pattern.match(value):
            return name
    return "text"


def type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string (%s)" % string_format(value)
    return type(value).__name__


def compare_shape(recorded, actual, path="body"):
    """Return the differences in shape between a recorded and an emulated JSON value."""
    if recorded is None or actual is None:
        # Nullness depends on the object's history (for example overall_state_modified), not on the API.
        return []
    if type_name(recorded) != type_name(actual):
        return ["%s: Datadog returned %s %r, the emulator %s %r"
                % (path, type_name(recorded), recorded, type_name(actual), actual)]
    problems = []
    if isinstance(recorded, dict):
        missing = sorted(set(recorded) - set(actual))
        extra = sorted(set(actual) - set(recorded) - ALLOWED_EXTRA_KEYS)
        if missing:
            problems.append("%s: keys missing in the emulator's answer: %s" % (path, missing))
        if extra:
            problems.append("%s: keys Datadog did not return: %s" % (path, extra))
        for key in sorted(set(recorded) & set(actual)):
            problems.extend(compare_shape(recorded[key], actual[key], "%s.%s" % (path, key)))
    elif isinstance(recorded, list):
        if len(recorded) != len(actual):
            problems.append("%s: Datadog returned %d items, the emulator %d" % (path, len(recorded), len(actual)))
        for index, (left, right) in enumerate(zip(recorded, actual)):
            problems.extend(compare_shape(left, right, "%s[%d]" % (path, index)))
    return problems


def parse_body(text):
    if text is None or not str(text).strip():
        return None
    return json.loads(text)


def created_id(body):
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("data"), dict):
        return body["data"].get("id")
    return body.get("id")


def substitute(text, id_map):
    for recorded, actual in id_map.items():
        text = text.replace(recorded, actual)
    return text


# Listing recordings expect objects that existed in Datadog's test organization. They are created
# through the API first, from the writable fields of the recorded items.
def _monitor_seed(item):
    options = dict((k, v) for k, v in (item.get("options") or {}).items() if k != "silenced")
    body = dict((k, item[k]) for k in ("name", "type", "query", "message", "tags", "priority") if k in item)
    body["options"] = options
    return "/api/v1/monitor", body


def _downtime_seed(item):
    attributes = item["attributes"]
    keys = ("scope", "monitor_identifier", "message", "display_timezone", "notify_end_states", "notify_end_types",
            "mute_first_recovery_notification")
    seed = dict((k, attributes[k]) for k in keys if attributes.get(k) is not None)
    return "/api/v2/downtime", {"data": {"type": "downtime", "attributes": seed}}


SEEDERS = {
    "/api/v1/monitor": (lambda body: body if isinstance(body, list) else [], _monitor_seed),
    "/api/v2/downtime": (lambda body: body.get("data") if isinstance(body, dict) else [], _downtime_seed),
}


def seed_listed_objects(emulator, interactions, id_map):
    seen = set()
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        path = urllib.parse.urlsplit(request["uri"]).path
        if request["method"] != "GET" or path not in SEEDERS:
            continue
        items_of, seed = SEEDERS[path]
        for item in items_of(parse_body(response["body"]["string"])) or []:
            if str(item["id"]) in seen:
                continue
            seen.add(str(item["id"]))
            seed_path, body = seed(item)
            status, answer = emulator.api("POST", seed_path, body)[:2]
            assert status == 200, "seeding %s failed: %s" % (seed_path, answer)
            id_map[str(item["id"])] = str(created_id(answer))


@pytest.mark.skipif(not FILES, reason="no Datadog API recordings at %s; set DATADOG_RECORDINGS" % RECORDINGS)
@pytest.mark.parametrize("recording", FILES, ids=[os.path.relpath(f, RECORDINGS) for f in FILES])
def test_recording_replays(datadog_emulator, recording):
    with open(recording) as handle:
        interactions = yaml.safe_load(handle)["interactions"]
    for interaction in interactions:
        request = interaction["request"]
        route = (request["method"], urllib.parse.urlsplit(request["uri"]).path)
        if route in NOT_EMULATED:
            pytest.skip(NOT_EMULATED[route])

    id_map = {}
    seed_listed_objects(datadog_emulator, interactions, id_map)
    datadog_emulator.clear_requests()
    forbidden = "forbidden" in os.path.basename(recording)
    problems = []
    for number, interaction in enumerate(interactions):
        request, response = interaction["request"], interaction["response"]
        split = urllib.parse.urlsplit(request["uri"])
        target = substitute(split.path + ("?" + split.query if split.query else ""), id_map)
        body = parse_body(substitute(request["body"], id_map)) if request.get("body") else None
        if forbidden:
            status, answer = datadog_emulator.call(request["method"], target, body)[:2]
        else:
            status, answer = datadog_emulator.api(request["method"], target, body)[:2]
        expected_status = response["status"]["code"]
        expected = parse_body(response["body"]["string"])
        label = "interaction %d (%s %s)" % (number, request["method"], target)
        if status != expected_status:
            problems.append("%s: Datadog answered %s, the emulator %s: %s" % (label, expected_status, status, answer))
            continue
        problems.extend("%s: %s" % (label, problem) for problem in compare_shape(expected, answer))
        recorded_id, actual_id = created_id(expected), created_id(answer)
        if recorded_id is not None and actual_id is not None:
            id_map[str(recorded_id)] = str(actual_id)
    assert problems == []
