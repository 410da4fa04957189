# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the mysql role: account settings per server version, and input checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.ddlab.observability.plugins.module_utils import mysql_grants


def mysql_datadog_account(version_string, extra_privileges=None, max_user_connections=5, auth_plugin=None):
    """Return the mysql_user settings for the Datadog user on the server that reported `version_string`."""
    try:
        return mysql_grants.select_datadog_account(
            version_string, extra_privileges=extra_privileges,
            max_user_connections=max_user_connections, auth_plugin=auth_plugin)
    except mysql_grants.SelectionError as error:
        raise AnsibleFilterError(str(error))


def mysql_privilege_errors(privileges, flavor):
    """Return a list of messages, one per invalid entry of a {"db.table": [names]} mapping."""
    if flavor not in mysql_grants.KNOWN_PRIVILEGES:
        raise AnsibleFilterError("Unknown server flavor %r: use 'mysql' or 'mariadb'." % (flavor,))
    return mysql_grants.privilege_errors(privileges, flavor)


def mysql_account_errors(user, host, user_name_max_length, connection):
    """Return a list of messages, one per invalid part of the account user@host."""
    return mysql_grants.account_errors(user, host, int(user_name_max_length), connection)


class FilterModule(object):
    """Filters of the mysql role."""

    def filters(self):
        return {
            "mysql_datadog_account": mysql_datadog_account,
            "mysql_privilege_errors": mysql_privilege_errors,
            "mysql_account_errors": mysql_account_errors,
        }
