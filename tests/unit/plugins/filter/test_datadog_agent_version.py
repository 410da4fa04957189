# -*- coding: utf-8 -*-
"""Table-driven tests of the datadog_agent_version filter."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ddlab.observability.plugins.filter.datadog_agent_version import (
    FilterModule,
    datadog_agent_version,
)

# (given, expected Debian version)
ACCEPTED = [
    ("7.52.0", "1:7.52.0-1"),
    ("1:7.52.0-1", "1:7.52.0-1"),
    ("  7.53.0 ", "1:7.53.0-1"),
    ("7.52.0-1", "1:7.52.0-1"),
    ("1:7.52.0", "1:7.52.0-1"),
    ("1:7.52.1-2", "1:7.52.1-2"),
    ("7.54.0~rc.2", "1:7.54.0~rc.2-1"),
    ("1:7.54.0~rc.2-1", "1:7.54.0~rc.2-1"),
    ("", ""),
    (None, ""),
]


@pytest.mark.parametrize("given, expected", ACCEPTED, ids=[repr(row[0]) for row in ACCEPTED])
def test_version_accepted(given, expected):
    assert datadog_agent_version(given) == expected


# (given, fragments the message must contain)
REJECTED = [
    ("latest", ["'latest'", "not an Agent version", "7.52.0 or 1:7.52.0-1"]),
    ("7.52", ["'7.52'", "not an Agent version"]),
    ("v7.52.0", ["'v7.52.0'", "not an Agent version"]),
    ("7.52.0 7.53.0", ["not an Agent version"]),
    ("6.27.0", ["'6.27.0'", "Agent 6", "Agent 7"]),
    ("1:6.27.0-1", ["Agent 6"]),
    (7.52, ["7.52", "float", "quote"]),
]


@pytest.mark.parametrize("given, fragments", REJECTED, ids=[repr(row[0]) for row in REJECTED])
def test_version_rejected(given, fragments):
    with pytest.raises(AnsibleFilterError) as raised:
        datadog_agent_version(given, name="agent_version")
    message = str(raised.value)
    assert message.startswith("agent_version: ")
    for fragment in fragments:
        assert fragment in message


def test_other_major_accepted_when_asked():
    assert datadog_agent_version("6.27.0", major=6) == "1:6.27.0-1"


def test_filter_is_registered():
    assert FilterModule().filters()["datadog_agent_version"] is datadog_agent_version
