# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Select the account settings of the Datadog Agent's MySQL user from the server flavor and version.

The mysql role passes the result to community.mysql.mysql_user. The functions here are pure, so the
MySQL 8 and older-server branches are tested without such servers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MYSQL = "mysql"
MARIADB = "mariadb"

# Privilege names GRANT accepts, as listed by SHOW PRIVILEGES on MySQL 8.0 and MariaDB 10.11, plus
# the MySQL 8 dynamic privileges an Agent account could plausibly need. Multi-word names use spaces.
COMMON_PRIVILEGES = frozenset([
    "ALL", "ALL PRIVILEGES", "ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE",
    "CREATE TABLESPACE", "CREATE TEMPORARY TABLES", "CREATE USER", "CREATE VIEW", "DELETE", "DROP",
    "EVENT", "EXECUTE", "FILE", "INDEX", "INSERT", "LOCK TABLES", "PROCESS", "PROXY", "REFERENCES",
    "RELOAD", "REPLICATION CLIENT", "REPLICATION SLAVE", "SELECT", "SHOW DATABASES", "SHOW VIEW",
    "SHUTDOWN", "SUPER", "TRIGGER", "UPDATE", "USAGE",
])
MYSQL_ONLY_PRIVILEGES = frozenset([
    "CREATE ROLE", "DROP ROLE", "BACKUP_ADMIN", "CONNECTION_ADMIN", "PERSIST_RO_VARIABLES_ADMIN",
    "REPLICATION_APPLIER", "REPLICATION_SLAVE_ADMIN", "RESOURCE_GROUP_ADMIN", "ROLE_ADMIN",
    "SESSION_VARIABLES_ADMIN", "SET_USER_ID", "SYSTEM_USER", "SYSTEM_VARIABLES_ADMIN",
    "SHOW_ROUTINE", "XA_RECOVER_ADMIN",
])
MARIADB_ONLY_PRIVILEGES = frozenset([
    "BINLOG ADMIN", "BINLOG MONITOR", "BINLOG REPLAY", "CONNECTION ADMIN", "DELETE HISTORY",
    "FEDERATED ADMIN", "READ_ONLY ADMIN", "REPLICA MONITOR", "REPLICATION MASTER ADMIN",
    "REPLICATION SLAVE ADMIN", "SET USER", "SLAVE MONITOR",
])
KNOWN_PRIVILEGES = {
    MYSQL: COMMON_PRIVILEGES | MYSQL_ONLY_PRIVILEGES,
    MARIADB: COMMON_PRIVILEGES | MARIADB_ONLY_PRIVILEGES,
}

# The auth plugins the role can manage through mysql_user, per flavor.
AUTH_PLUGINS = {
    MYSQL: ("mysql_native_password", "caching_sha2_password"),
    MARIADB: ("mysql_native_password",),
}

USER_HOST_MAX_LENGTH = 255


class SelectionError(ValueError):
    """Invalid input for the account selection; the message names the value and the fix."""


def parse_server_version(version_string):
    """Return (flavor, (major, minor, patch)) for a VERSION() string.

    MariaDB reports e.g. "10.11.19-MariaDB-0+deb12u1" (some proxies add a "5.5.5-" prefix), MySQL
    e.g. "8.0.36-0ubuntu0.22.04.1".
    """
    text = str(version_string).strip()
    flavor = MARIADB if "mariadb" in text.lower() else MYSQL
    if flavor == MARIADB and text.startswith("5.5.5-"):
        text = text[len("5.5.5-"):]
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        raise SelectionError(
            "Cannot parse the server version %r: expected a VERSION() value such as "
            "'8.0.36' or '10.11.6-MariaDB'." % (version_string,))
    major, minor, patch = match.groups()
    return flavor, (int(major), int(minor), int(patch or 0))


def canonical_privilege(name, flavor, version):
    """Return the name SHOW GRANTS prints for the privilege `name` on this server.

    mysql_user compares the requested names with SHOW GRANTS word for word. On MariaDB 10.5.2 and newer
    REPLICATION CLIENT is printed as BINLOG MONITOR, so requesting the old name makes mysql_user revoke
    and re-grant on every run and always report a change in check mode. Requesting the printed name
    avoids that without patching the module.
    """
    name = " ".join(str(name).upper().split())
    if name == "ALL PRIVILEGES":
        return "ALL"
    if flavor == MARIADB:
        if name == "REPLICATION CLIENT" and version >= (10, 5, 2):
            return "BINLOG MONITOR"
        if name == "REPLICA MONITOR":
            return "SLAVE MONITOR"
    return name


def privilege_errors(privileges, flavor):
    """Return one message per invalid entry of a {"db.table": [privilege, ...]} mapping."""
    errors = []
    if not isinstance(privileges, dict):
        return ["expected a mapping of 'db.table' to a list of privilege names, got %s"
                % type(privileges).__name__]
    known = KNOWN_PRIVILEGES[flavor]
    for target, names in privileges.items():
        if not isinstance(target, str) or not re.match(r"^[^.\s]+\.[^.\s]+$", target):
            errors.append("invalid grant target %r: use 'db.table', for example 'mydb.*'" % (target,))
        if isinstance(names, str) or not isinstance(names, (list, tuple)):
            errors.append("privileges on %r must be a list of names, got %r" % (target, names))
            continue
        for name in names:
            normalized = " ".join(str(name).upper().split())
            if normalized not in known:
                errors.append(
                    "unknown privilege %r on %r for %s: use a name from SHOW PRIVILEGES, "
                    "for example SELECT or PROCESS" % (name, target, flavor))
    return errors


def replica_status_statement(flavor, version):
    """Return the statement that shows replica status: SHOW REPLICA STATUS where the server has it."""
    if (flavor == MYSQL and version >= (8, 0, 22)) or (flavor == MARIADB and version >= (10, 5, 1)):
        return "SHOW REPLICA STATUS"
    return "SHOW SLAVE STATUS"


def _global_privileges(flavor, version):
    """Return the global privileges the Agent's MySQL check needs, least privilege first."""
    if flavor == MARIADB and version >= (10, 5, 9):
        # 10.5.9 added SLAVE MONITOR for SHOW SLAVE STATUS; BINLOG MONITOR is the new name of REPLICATION CLIENT.
        return ["BINLOG MONITOR", "PROCESS", "SLAVE MONITOR"]
    if flavor == MARIADB and version >= (10, 5, 2):
        # NOTE: on 10.5.2 to 10.5.8 SHOW SLAVE STATUS needs REPLICATION SLAVE ADMIN, which can also stop
        # replication, so it is not granted by default. Add it through the extra privileges if needed.
        return ["BINLOG MONITOR", "PROCESS"]
    return ["PROCESS", "REPLICATION CLIENT"]


def _supports_alter_user_limits(flavor, version):
    """Tell whether ALTER USER ... WITH MAX_USER_CONNECTIONS, which resource_limits runs, works here.

    community.mysql allows resource_limits from MySQL 5.6, but the WITH clause needs MySQL 5.7.6.
    """
    if flavor == MARIADB:
        return version >= (10, 2, 0)
    return version >= (5, 7, 6)


def _auth_plugin(flavor, version, requested):
    """Return the auth plugin to manage, or raise SelectionError for one the server does not offer."""
    if not requested:
        if flavor == MYSQL and version >= (8, 0, 0):
            return "caching_sha2_password"
        return "mysql_native_password"
    if requested not in AUTH_PLUGINS[flavor]:
        raise SelectionError(
            "Auth plugin %r is not supported for %s %s: use one of %s, or leave "
            "mysql_datadog_auth_plugin empty to pick the server's default."
            % (requested, flavor, ".".join(map(str, version)), ", ".join(AUTH_PLUGINS[flavor])))
    if requested == "caching_sha2_password" and version < (8, 0, 0):
        raise SelectionError(
            "Auth plugin 'caching_sha2_password' needs MySQL 8.0 or newer, the server is %s: "
            "use mysql_native_password." % ".".join(map(str, version)))
    return requested


def select_datadog_account(version_string, extra_privileges=None, max_user_connections=5, auth_plugin=None):
    """Return the mysql_user settings for the Datadog Agent's user on the server `version_string`.

    The result contains the flavor and parsed version, `privileges` ({"db.table": [names]} with the
    names SHOW GRANTS prints), `priv` (the same as mysql_user's priv mapping), `resource_limits`,
    `auth_plugin` and `replica_status_statement`. Raises SelectionError on invalid input.
    """
    flavor, version = parse_server_version(version_string)

    extra_privileges = extra_privileges or {}
    errors = privilege_errors(extra_privileges, flavor)
    if errors:
        raise SelectionError("Invalid mysql_datadog_extra_privileges: " + "; ".join(errors))

    requested = {"*.*": _global_privileges(flavor, version), "performance_schema.*": ["SELECT"]}
    for target, names in extra_privileges.items():
        requested.setdefault(target, []).extend(names)
    privileges = dict(
        (target, sorted(set(canonical_privilege(name, flavor, version) for name in names)))
        for target, names in requested.items()
    )

    if isinstance(max_user_connections, bool) or not isinstance(max_user_connections, int) \
            or max_user_connections < 0:
        raise SelectionError(
            "Invalid mysql_datadog_max_user_connections %r: use a whole number, 0 for no limit."
            % (max_user_connections,))
    resource_limits = {}
    if _supports_alter_user_limits(flavor, version):
        resource_limits["MAX_USER_CONNECTIONS"] = max_user_connections

    return {
        "flavor": flavor,
        "version": ".".join(str(part) for part in version),
        "privileges": privileges,
        "priv": dict((target, ",".join(names)) for target, names in privileges.items()),
        "resource_limits": resource_limits,
        "auth_plugin": _auth_plugin(flavor, version, auth_plugin),
        "replica_status_statement": replica_status_statement(flavor, version),
    }


def host_pattern_matches(pattern, client_host):
    """Tell whether the account host part `pattern` (with % and _ wildcards) matches `client_host`."""
    regex = ""
    for char in pattern:
        if char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        else:
            regex += re.escape(char)
    return re.match("^" + regex + "$", client_host, re.IGNORECASE) is not None


def account_errors(user, host, user_name_max_length, connection):
    """Return one message per invalid part of the account `user`@`host`.

    `connection` is how conf.yaml connects: "socket" (the server identifies the client as localhost) or
    "tcp" (to 127.0.0.1), so the host part must match that client address.
    """
    errors = []
    if not isinstance(user, str) or not user:
        errors.append("mysql_datadog_user must be a non-empty string, got %r" % (user,))
    elif len(user) > user_name_max_length:
        errors.append(
            "mysql_datadog_user %r is %d characters long, the server allows at most %d: use a shorter name"
            % (user, len(user), user_name_max_length))
    if not isinstance(host, str) or not host:
        errors.append("mysql_datadog_user_host must be a non-empty string, got %r" % (host,))
        return errors
    if re.search(r"\s", host):
        errors.append(
            "mysql_datadog_user_host %r contains whitespace: use a host name, an IP address or a pattern "
            "such as 'localhost', '127.0.0.1' or '10.0.%%'" % (host,))
    elif len(host) > USER_HOST_MAX_LENGTH:
        errors.append("mysql_datadog_user_host %r is longer than %d characters: use a shorter pattern"
                      % (host, USER_HOST_MAX_LENGTH))
    else:
        client = "localhost" if connection == "socket" else "127.0.0.1"
        if not host_pattern_matches(host, client):
            errors.append(
                "mysql_datadog_user_host %r does not match %s, the address the Agent connects from with "
                "mysql_datadog_connection=%s: set mysql_datadog_user_host to %r or change "
                "mysql_datadog_connection" % (host, client, connection, client))
    return errors
