# -*- coding: utf-8 -*-
"""Table-driven tests of the Datadog MySQL user's settings per server flavor and version."""

from __future__ import absolute_import, division, print_function

import pytest

from ansible_collections.ddlab.observability.plugins.module_utils import mysql_grants as mg

# (server VERSION() string, flavor, parsed version)
VERSION_CASES = [
    ("8.0.36-0ubuntu0.22.04.1", "mysql", (8, 0, 36)),
    ("8.4.3", "mysql", (8, 4, 3)),
    ("5.7.44-log", "mysql", (5, 7, 44)),
    ("5.6.51", "mysql", (5, 6, 51)),
    ("10.11.19-MariaDB-0+deb12u1", "mariadb", (10, 11, 19)),
    ("5.5.5-10.6.18-MariaDB-log", "mariadb", (10, 6, 18)),
    ("10.3.39-MariaDB-0+deb10u2", "mariadb", (10, 3, 39)),
    ("11.4.2-MariaDB", "mariadb", (11, 4, 2)),
]


@pytest.mark.parametrize("version_string, flavor, version", VERSION_CASES)
def test_parse_server_version(version_string, flavor, version):
    assert mg.parse_server_version(version_string) == (flavor, version)


@pytest.mark.parametrize("version_string", ["", "MariaDB", "unknown-1"])
def test_parse_server_version_rejects_garbage(version_string):
    with pytest.raises(mg.SelectionError, match="Cannot parse the server version"):
        mg.parse_server_version(version_string)


PERFORMANCE_SCHEMA = {"performance_schema.*": ["SELECT"]}

# (case, VERSION(), global privileges, resource limits, auth plugin, replica status statement)
ACCOUNT_CASES = [
    ("mysql 8.0.36 ubuntu", "8.0.36-0ubuntu0.22.04.1", ["PROCESS", "REPLICATION CLIENT"],
     {"MAX_USER_CONNECTIONS": 5}, "caching_sha2_password", "SHOW REPLICA STATUS"),
    ("mysql 8.0.21 before replica syntax", "8.0.21", ["PROCESS", "REPLICATION CLIENT"],
     {"MAX_USER_CONNECTIONS": 5}, "caching_sha2_password", "SHOW SLAVE STATUS"),
    ("mysql 8.4", "8.4.3", ["PROCESS", "REPLICATION CLIENT"],
     {"MAX_USER_CONNECTIONS": 5}, "caching_sha2_password", "SHOW REPLICA STATUS"),
    ("mysql 5.7", "5.7.44-log", ["PROCESS", "REPLICATION CLIENT"],
     {"MAX_USER_CONNECTIONS": 5}, "mysql_native_password", "SHOW SLAVE STATUS"),
    ("mysql 5.7.5 without alter user limits", "5.7.5", ["PROCESS", "REPLICATION CLIENT"],
     {}, "mysql_native_password", "SHOW SLAVE STATUS"),
    ("mysql 5.6 without alter user limits", "5.6.51", ["PROCESS", "REPLICATION CLIENT"],
     {}, "mysql_native_password", "SHOW SLAVE STATUS"),
    ("mariadb 10.11 debian 12", "10.11.19-MariaDB-0+deb12u1", ["BINLOG MONITOR", "PROCESS", "SLAVE MONITOR"],
     {"MAX_USER_CONNECTIONS": 5}, "mysql_native_password", "SHOW REPLICA STATUS"),
    ("mariadb 10.5.9 first with slave monitor", "10.5.9-MariaDB", ["BINLOG MONITOR", "PROCESS", "SLAVE MONITOR"],
     {"MAX_USER_CONNECTIONS": 5}, "mysql_native_password", "SHOW REPLICA STATUS"),
    ("mariadb 10.5.8 before slave monitor", "10.5.8-MariaDB", ["BINLOG MONITOR", "PROCESS"],
     {"MAX_USER_CONNECTIONS": 5}, "mysql_native_password", "SHOW REPLICA STATUS"),
    ("mariadb 10.5.1 classic names", "10.5.1-MariaDB", ["PROCESS", "REPLICATION CLIENT"],
     {"MAX_USER_CONNECTIONS": 5}, "mysql_native_password", "SHOW REPLICA STATUS"),
    ("mariadb 10.3 debian 10", "10.3.39-MariaDB-0+deb10u2", ["PROCESS", "REPLICATION CLIENT"],
     {"MAX_USER_CONNECTIONS": 5}, "mysql_native_password", "SHOW SLAVE STATUS"),
    ("mariadb 10.1 without alter user", "10.1.48-MariaDB", ["PROCESS", "REPLICATION CLIENT"],
     {}, "mysql_native_password", "SHOW SLAVE STATUS"),
]


@pytest.mark.parametrize("case, version_string, global_privileges, limits, plugin, replica_statement",
                         ACCOUNT_CASES, ids=[case[0] for case in ACCOUNT_CASES])
def test_select_datadog_account(case, version_string, global_privileges, limits, plugin, replica_statement):
    account = mg.select_datadog_account(version_string)

    assert account["privileges"] == dict({"*.*": global_privileges}, **PERFORMANCE_SCHEMA)
    assert account["priv"]["*.*"] == ",".join(global_privileges)
    assert account["priv"]["performance_schema.*"] == "SELECT"
    assert account["resource_limits"] == limits
    assert account["auth_plugin"] == plugin
    assert account["replica_status_statement"] == replica_statement


# (case, VERSION(), extra privileges, expected privileges on the extra targets)
EXTRA_CASES = [
    ("mariadb renames replication client", "10.11.6-MariaDB", {"*.*": ["replication client"]},
     {"*.*": ["BINLOG MONITOR", "PROCESS", "SLAVE MONITOR"]}),
    ("mariadb replica monitor alias", "10.11.6-MariaDB", {"*.*": ["REPLICA MONITOR"]},
     {"*.*": ["BINLOG MONITOR", "PROCESS", "SLAVE MONITOR"]}),
    ("mysql keeps replication client", "8.0.36", {"*.*": ["REPLICATION CLIENT"]},
     {"*.*": ["PROCESS", "REPLICATION CLIENT"]}),
    ("new schema for custom queries", "8.0.36", {"shop.*": ["select", "Show View"]},
     {"shop.*": ["SELECT", "SHOW VIEW"]}),
    ("merge into performance schema", "10.11.6-MariaDB", {"performance_schema.*": ["SELECT"]},
     {"performance_schema.*": ["SELECT"]}),
    ("extra spaces collapse", "10.11.6-MariaDB", {"app.*": ["  lock   tables "]},
     {"app.*": ["LOCK TABLES"]}),
]


@pytest.mark.parametrize("case, version_string, extra, expected", EXTRA_CASES, ids=[c[0] for c in EXTRA_CASES])
def test_extra_privileges_use_printed_names(case, version_string, extra, expected):
    account = mg.select_datadog_account(version_string, extra_privileges=extra)

    for target, names in expected.items():
        assert account["privileges"][target] == names


# (case, VERSION(), extra privileges, fragment of the error message)
INVALID_EXTRA_CASES = [
    ("typo", "10.11.6-MariaDB", {"*.*": ["PROCES"]}, "unknown privilege 'PROCES' on '*.*' for mariadb"),
    ("mariadb name on mysql", "8.0.36", {"*.*": ["BINLOG MONITOR"]}, "unknown privilege 'BINLOG MONITOR'"),
    ("mysql dynamic name on mariadb", "10.11.6-MariaDB", {"*.*": ["BACKUP_ADMIN"]}, "unknown privilege 'BACKUP_ADMIN'"),
    ("string instead of list", "8.0.36", {"*.*": "SELECT"}, "must be a list of names"),
    ("target without table", "8.0.36", {"shop": ["SELECT"]}, "invalid grant target 'shop'"),
]


@pytest.mark.parametrize("case, version_string, extra, message", INVALID_EXTRA_CASES,
                         ids=[c[0] for c in INVALID_EXTRA_CASES])
def test_invalid_extra_privileges_rejected(case, version_string, extra, message):
    with pytest.raises(mg.SelectionError, match="Invalid mysql_datadog_extra_privileges") as error:
        mg.select_datadog_account(version_string, extra_privileges=extra)

    assert message in str(error.value)


def test_privilege_errors_empty_for_valid_names():
    assert mg.privilege_errors({"*.*": ["PROCESS", "SLAVE MONITOR"], "db.*": ["SELECT"]}, "mariadb") == []


def test_privilege_errors_rejects_non_mapping():
    assert mg.privilege_errors(["SELECT"], "mysql") == [
        "expected a mapping of 'db.table' to a list of privilege names, got list"]


# (case, VERSION(), requested plugin, selected plugin or error fragment)
PLUGIN_CASES = [
    ("mysql 8 native on request", "8.0.36", "mysql_native_password", "mysql_native_password"),
    ("mysql 8 sha2 explicit", "8.0.36", "caching_sha2_password", "caching_sha2_password"),
    ("mysql 5.7 default", "5.7.44", "", "mysql_native_password"),
]


@pytest.mark.parametrize("case, version_string, requested, selected", PLUGIN_CASES, ids=[c[0] for c in PLUGIN_CASES])
def test_auth_plugin_selection(case, version_string, requested, selected):
    assert mg.select_datadog_account(version_string, auth_plugin=requested)["auth_plugin"] == selected


@pytest.mark.parametrize("version_string, requested, message", [
    ("10.11.6-MariaDB", "caching_sha2_password", "not supported for mariadb 10.11.6"),
    ("5.7.44", "caching_sha2_password", "needs MySQL 8.0 or newer"),
    ("8.0.36", "sha256_password", "not supported for mysql 8.0.36"),
])
def test_auth_plugin_rejected(version_string, requested, message):
    with pytest.raises(mg.SelectionError, match=message):
        mg.select_datadog_account(version_string, auth_plugin=requested)


@pytest.mark.parametrize("value, limits", [(0, {"MAX_USER_CONNECTIONS": 0}), (12, {"MAX_USER_CONNECTIONS": 12})])
def test_max_user_connections_values(value, limits):
    assert mg.select_datadog_account("8.0.36", max_user_connections=value)["resource_limits"] == limits


@pytest.mark.parametrize("value", [-1, "5", True, 2.5])
def test_max_user_connections_rejected(value):
    with pytest.raises(mg.SelectionError, match="Invalid mysql_datadog_max_user_connections"):
        mg.select_datadog_account("8.0.36", max_user_connections=value)


# (pattern, client host, matches)
HOST_PATTERN_CASES = [
    ("localhost", "localhost", True),
    ("LocalHost", "localhost", True),
    ("%", "127.0.0.1", True),
    ("127.0.0.%", "127.0.0.1", True),
    ("127.0.0._", "127.0.0.1", True),
    ("127.0.0.1", "127.0.0.1", True),
    ("localhost", "127.0.0.1", False),
    ("127.0.0.1", "localhost", False),
    ("10.%", "127.0.0.1", False),
    ("127.0.0.1x", "127.0.0.1", False),
]


@pytest.mark.parametrize("pattern, client, matches", HOST_PATTERN_CASES)
def test_host_pattern_matches(pattern, client, matches):
    assert mg.host_pattern_matches(pattern, client) is matches


# (case, user, host, max length, connection, error fragments; empty means valid)
ACCOUNT_ERROR_CASES = [
    ("socket default", "datadog", "localhost", 32, "socket", []),
    ("tcp default", "datadog", "127.0.0.1", 32, "tcp", []),
    ("wildcard host over tcp", "datadog", "%", 32, "tcp", []),
    ("name at the limit", "d" * 32, "localhost", 32, "socket", []),
    ("name over the mysql limit", "d" * 33, "localhost", 32, "socket",
     ["mysql_datadog_user '" + "d" * 33 + "' is 33 characters long, the server allows at most 32"]),
    ("empty name", "", "localhost", 32, "socket", ["mysql_datadog_user must be a non-empty string"]),
    ("host with a space", "datadog", "local host", 32, "socket",
     ["mysql_datadog_user_host 'local host' contains whitespace"]),
    ("host with a tab", "datadog", "localhost\t", 32, "socket", ["contains whitespace"]),
    ("localhost account over tcp", "datadog", "localhost", 32, "tcp",
     ["does not match 127.0.0.1", "set mysql_datadog_user_host to '127.0.0.1'"]),
    ("ip account over socket", "datadog", "127.0.0.1", 32, "socket", ["does not match localhost"]),
    ("long host", "datadog", "h" * 256, 32, "socket", ["is longer than 255 characters"]),
]


@pytest.mark.parametrize("case, user, host, max_length, connection, fragments", ACCOUNT_ERROR_CASES,
                         ids=[c[0] for c in ACCOUNT_ERROR_CASES])
def test_account_errors(case, user, host, max_length, connection, fragments):
    errors = mg.account_errors(user, host, max_length, connection)

    assert len(errors) == (1 if fragments else 0), errors
    for fragment in fragments:
        assert fragment in errors[0]
