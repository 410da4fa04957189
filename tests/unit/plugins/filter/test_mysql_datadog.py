# -*- coding: utf-8 -*-
"""Tests of the mysql role's filters: registration and error conversion."""

from __future__ import absolute_import, division, print_function

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ddlab.observability.plugins.filter.mysql_datadog import FilterModule

FILTERS = FilterModule().filters()


def test_filters_registered():
    assert sorted(FILTERS) == ["mysql_account_errors", "mysql_datadog_account", "mysql_privilege_errors"]


def test_account_filter_selects_mariadb_names():
    account = FILTERS["mysql_datadog_account"]("10.11.19-MariaDB-0+deb12u1", {"shop.*": ["SELECT"]}, 5, "")

    assert account["priv"] == {
        "*.*": "BINLOG MONITOR,PROCESS,SLAVE MONITOR",
        "performance_schema.*": "SELECT",
        "shop.*": "SELECT",
    }


@pytest.mark.parametrize("version_string, extra, message", [
    ("not a version", {}, "Cannot parse the server version"),
    ("8.0.36", {"*.*": ["PROCES"]}, "unknown privilege 'PROCES'"),
])
def test_account_filter_raises_filter_error(version_string, extra, message):
    with pytest.raises(AnsibleFilterError, match=message):
        FILTERS["mysql_datadog_account"](version_string, extra)


def test_privilege_errors_filter_rejects_flavor():
    with pytest.raises(AnsibleFilterError, match="Unknown server flavor 'postgres'"):
        FILTERS["mysql_privilege_errors"]({}, "postgres")


def test_account_errors_filter_accepts_string_limit():
    assert FILTERS["mysql_account_errors"]("d" * 33, "localhost", "32", "socket") != []
