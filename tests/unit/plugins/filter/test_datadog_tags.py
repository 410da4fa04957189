# -*- coding: utf-8 -*-
"""Table-driven tests of the datadog_tags filter: accepted forms, the merge rule, and every rejected input."""

from __future__ import absolute_import, division, print_function

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.ddlab.observability.plugins.filter.datadog_tags import FilterModule, datadog_tags

# (case, tags, extra, expected list)
ACCEPTED = [
    ("none", None, None, []),
    ("empty list and mapping", [], {}, []),
    ("list of key value and bare", ["great:success", "datadogisthebest"], None,
     ["great:success", "datadogisthebest"]),
    ("mapping", {"env": "lab", "team": "sre"}, None, ["env:lab", "team:sre"]),
    ("mapping keeps written order", {"zone": "b", "app": "a"}, None, ["zone:b", "app:a"]),
    ("mixed list", ["great:success", {"env": "lab"}, "datadogisthebest"], None,
     ["great:success", "env:lab", "datadogisthebest"]),
    ("list item mapping with two keys", [{"env": "lab", "tier": "db"}], None, ["env:lab", "tier:db"]),
    ("numbers and booleans", {"port": 3306, "ratio": 0.5, "canary": True, "legacy": False}, None,
     ["port:3306", "ratio:0.5", "canary:true", "legacy:false"]),
    ("bare number in list", [42], None, ["42"]),
    ("surrounding spaces removed", ["  env:lab  ", {" team ": " sre "}], None, ["env:lab", "team:sre"]),
    ("colon inside value kept", ["url:http://example"], None, ["url:http://example"]),
    ("extra appended after tags", ["a:1"], ["b:2"], ["a:1", "b:2"]),
    ("extra mapping after tags list", ["great:success"], {"env": "lab"}, ["great:success", "env:lab"]),
    ("exact duplicate dropped at second place", ["a:1", "b:2"], ["b:2", "c:3"], ["a:1", "b:2", "c:3"]),
    ("duplicate inside one source dropped", ["a:1", {"a": 1}], None, ["a:1"]),
    ("same key two values both kept", {"role": "web"}, {"role": "db"}, ["role:web", "role:db"]),
    ("only extra", None, {"env": "lab"}, ["env:lab"]),
]


@pytest.mark.parametrize("case, tags, extra, expected", ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_tags_accepted(case, tags, extra, expected):
    assert datadog_tags(tags, extra) == expected


@pytest.mark.parametrize("case, tags, extra, expected", ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_tags_render_as_yaml_strings(case, tags, extra, expected):
    rendered = yaml.safe_load(yaml.safe_dump({"tags": datadog_tags(tags, extra)}))
    assert rendered["tags"] == expected
    assert all(isinstance(tag, str) for tag in rendered["tags"])


def test_merge_is_deterministic():
    tags = ["great:success", {"env": "lab", "team": "sre"}]
    extra = {"team": "sre", "zone": "eu"}
    results = {tuple(datadog_tags(tags, extra)) for attempt in range(20)}
    assert results == {("great:success", "env:lab", "team:sre", "zone:eu")}


# (case, tags, extra, fragments the message must contain)
REJECTED = [
    ("comma string", "great:success, datadogisthebest", None,
     ["agent_tags:", "'great:success, datadogisthebest'", "comma", "['great:success', 'datadogisthebest']"]),
    ("comma string in list", ["great:success, datadogisthebest"], None,
     ["agent_tags[0]", "'great:success, datadogisthebest'", "comma"]),
    ("comma in mapping value", {"env": "lab,prod"}, None, ["agent_tags['env']", "comma"]),
    ("plain string instead of list", "env:lab", None, ["agent_tags:", "'env:lab'", "['env:lab']"]),
    ("empty key in string", [":lab"], None, ["agent_tags[0]", "':lab'", "empty key"]),
    ("empty key in mapping", {"": "lab"}, None, ["agent_tags['']", "key is empty"]),
    ("null key in mapping", {None: "lab"}, None, ["agent_tags[None]", "key is empty"]),
    ("blank key in list item mapping", [{"  ": "lab"}], None, ["agent_tags[0]['  ']", "key is empty"]),
    ("empty value after colon", ["env:"], None, ["agent_tags[0]", "'env:'", "empty value"]),
    ("empty mapping value", {"env": ""}, None, ["agent_tags['env']", "value of key 'env' is empty"]),
    ("null mapping value", {"env": None}, None, ["agent_tags['env']", "value of key 'env' is empty"]),
    ("empty string tag", ["great:success", ""], None, ["agent_tags[1]", "is empty"]),
    ("null tag", [None], None, ["agent_tags[0]", "empty"]),
    ("newline in tag", ["env:lab\nteam:sre"], None, ["agent_tags[0]", "'env:lab\\nteam:sre'", "line break"]),
    ("carriage return in tag", ["env:lab\r"], None, ["agent_tags[0]", "line break"]),
    ("tab in tag", ["env:\tlab"], None, ["agent_tags[0]", "control character"]),
    ("newline in mapping value", {"env": "lab\nprod"}, None, ["agent_tags['env']", "line break"]),
    ("newline in mapping key", {"env\nx": "lab"}, None, ["line break"]),
    ("list value in mapping", {"roles": ["web", "db"]}, None,
     ["agent_tags['roles']", "['web', 'db']", "not a scalar", "'role:web', 'role:db'"]),
    ("mapping value in mapping", {"env": {"name": "lab"}}, None, ["agent_tags['env']", "dict", "not a scalar"]),
    ("nested list in list", [["env:lab"]], None, ["agent_tags[0]", "['env:lab']", "not a scalar"]),
    ("colon in mapping key", {"env:x": "lab"}, None, ["agent_tags['env:x']", "contains a colon"]),
    ("number instead of list", 5, None, ["agent_tags:", "int", "list or a mapping"]),
    ("bad extra named", ["ok:1"], ["bad, tag"], ["agent_extra_tags[0]", "'bad, tag'", "comma"]),
]


@pytest.mark.parametrize("case, tags, extra, fragments", REJECTED, ids=[row[0] for row in REJECTED])
def test_tags_rejected(case, tags, extra, fragments):
    with pytest.raises(AnsibleFilterError) as raised:
        datadog_tags(tags, extra, name="agent_tags", extra_name="agent_extra_tags")
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message


def test_filter_is_registered():
    assert FilterModule().filters()["datadog_tags"] is datadog_tags
