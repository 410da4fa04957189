# -*- coding: utf-8 -*-
"""Reruns of the mysql scenario's converge playbook: check mode, drift repair, password changes,
secrets in verbose output, and input validation before any change.

Each test runs ansible-playbook against molecule's inventory and compares the server state, read as
root over the socket, before and after. The tests run in file order and leave the state converge made.
"""

import hashlib
import json
import os
import re
import subprocess

import pymysql
import pytest
import yaml

ROOT_SOCKET = "/run/mysqld/mysqld.sock"
CONF_PATH = "/etc/datadog-agent/conf.d/mysql.d/conf.yaml"
ACTIONS_LOG = "/var/lib/ddlab-molecule-mysql-agent/actions.log"
SCENARIO_DIR = os.environ.get("MOLECULE_SCENARIO_DIRECTORY", os.path.dirname(os.path.dirname(__file__)))
PROJECT_DIR = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.dirname(os.path.dirname(SCENARIO_DIR)))
RECAP = re.compile(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


@pytest.fixture(scope="module")
def scenario_vars():
    """The group variables molecule.yml gives the host."""
    with open(os.path.join(SCENARIO_DIR, "molecule.yml")) as handle:
        config = yaml.safe_load(handle)
    return config["provisioner"]["inventory"]["group_vars"]["datadog_hosts"]


def run_converge(*options, extra_vars=None):
    """Run the scenario's converge playbook; return (exit code, output, changed count, failed count)."""
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
               os.path.join(SCENARIO_DIR, "converge.yml")] + list(options)
    if extra_vars is not None:
        command += ["--extra-vars", json.dumps(extra_vars)]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(PROJECT_DIR, "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="false", ANSIBLE_NOCOLOR="true")
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
                            check=False)
    output = result.stdout + result.stderr
    recap = RECAP.findall(output)
    assert recap, "no play recap in the output:\n" + output[-3000:]
    changed, failed = int(recap[-1][1]), int(recap[-1][3])
    return result.returncode, output, changed, failed


def root_query(statement, args=None):
    """Run one statement as root over the socket and return all rows."""
    connection = pymysql.connect(user="root", unix_socket=ROOT_SOCKET, connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, args)
            return cursor.fetchall()
    finally:
        connection.close()


def server_snapshot():
    """Return every account with its grants and limits, the conf.yaml digest and the service log."""
    accounts = {}
    for user, host, max_user_connections in root_query(
            "SELECT User, Host, max_user_connections FROM mysql.user ORDER BY User, Host"):
        grants = [row[0] for row in root_query("SHOW GRANTS FOR %s@%s", (user, host))]
        accounts["%s@%s" % (user, host)] = (grants, max_user_connections)
    with open(CONF_PATH, "rb") as handle:
        conf_digest = hashlib.sha256(handle.read()).hexdigest()
    return {"accounts": accounts, "conf_sha256": conf_digest, "agent_actions": read_agent_actions()}


def read_agent_actions():
    with open(ACTIONS_LOG) as handle:
        return handle.read().split()


def can_log_in(password):
    """Tell whether the datadog user logs in over the socket with `password`."""
    try:
        pymysql.connect(user="datadog", password=password, unix_socket=ROOT_SOCKET, connect_timeout=10).close()
    except pymysql.err.OperationalError as error:
        assert error.args[0] == 1045, error
        return False
    return True


def datadog_global_grants():
    grants = root_query("SHOW GRANTS FOR 'datadog'@'localhost'")
    return next(row[0] for row in grants if " ON *.* " in row[0])


def test_check_mode_after_converge_unchanged():
    code, output, changed, failed = run_converge("--check", "--diff")

    assert code == 0, output[-3000:]
    assert changed == 0, output[-3000:]
    assert failed == 0


def test_long_custom_query_round_trips(scenario_vars):
    with open(CONF_PATH) as handle:
        instance = yaml.safe_load(handle)["instances"][0]

    assert instance["custom_queries"] == scenario_vars["mysql_datadog_custom_queries"]
    assert len(instance["custom_queries"][0]["query"]) > 300


def test_revoked_process_grant_restored():
    root_query("CREATE USER 'molecule_bystander'@'localhost' IDENTIFIED BY 'bystander-standin'")
    try:
        root_query("GRANT SELECT ON mysql.* TO 'molecule_bystander'@'localhost'")
        root_query("REVOKE PROCESS ON *.* FROM 'datadog'@'localhost'")
        assert "PROCESS" not in datadog_global_grants()
        before = server_snapshot()

        code, output, changed, failed = run_converge()

        assert code == 0, output[-3000:]
        assert changed == 1, output[-3000:]
        assert "PROCESS" in datadog_global_grants()
        after = server_snapshot()
        assert after["accounts"]["molecule_bystander@localhost"] == before["accounts"]["molecule_bystander@localhost"]
        assert after["conf_sha256"] == before["conf_sha256"]
        assert after["agent_actions"] == before["agent_actions"]

        code, output, changed, failed = run_converge()
        assert (code, changed) == (0, 0), output[-3000:]
    finally:
        root_query("DROP USER IF EXISTS 'molecule_bystander'@'localhost'")


def test_sentinel_password_hidden_and_applied(scenario_vars):
    sentinel = "ddlab-sentinel-Zq7xW3pL"
    original = scenario_vars["mysql_datadog_password"]
    actions_before = read_agent_actions()
    try:
        code, output, changed, failed = run_converge(
            "-vvv", "--diff", extra_vars={"mysql_datadog_password": sentinel})

        assert code == 0, output[-3000:]
        assert sentinel not in output
        assert changed == 3, output[-3000:]  # the user, conf.yaml and the Agent restart
        assert can_log_in(sentinel)
        assert not can_log_in(original)
        # The service module restarts a SysV service as stop, then start.
        assert read_agent_actions() == actions_before + ["stop", "start"]
    finally:
        code, output, changed, failed = run_converge()
    assert code == 0, output[-3000:]
    assert changed == 3
    assert can_log_in(original)


# (case, extra variables, fragment of the error message)
BAD_INPUT_CASES = [
    ("empty password", {"mysql_datadog_password": ""}, "mysql_datadog_password is empty"),
    ("numeric password", {"mysql_datadog_password": 4242424242}, "mysql_datadog_password is a int, not a string"),
    ("list password", {"mysql_datadog_password": ["a"]}, "mysql_datadog_password is a list, not a string"),
    ("user name too long", {"mysql_datadog_user": "d" * 129},
     "is 129 characters long, the server allows at most 128"),
    ("host with a space", {"mysql_datadog_user_host": "local host"},
     "mysql_datadog_user_host 'local host' contains whitespace"),
    ("unknown privilege", {"mysql_datadog_extra_privileges": {"*.*": ["PROCES"]}},
     "unknown privilege 'PROCES' on '*.*'"),
    ("host does not match tcp", {"mysql_datadog_connection": "tcp", "mysql_datadog_user_host": "localhost"},
     "does not match 127.0.0.1"),
    ("custom query without columns", {"mysql_datadog_custom_queries": [{"query": "SELECT 1"}]},
     "mysql_datadog_custom_queries[0] is invalid"),
    ("sha2 plugin on mariadb", {"mysql_datadog_auth_plugin": "caching_sha2_password"},
     "'caching_sha2_password' is not available on mariadb"),
    ("port out of range", {"mysql_port": 70000, "mysql_datadog_connection": "tcp",
                           "mysql_datadog_user_host": "127.0.0.1"},
     "mysql_port 70000 is not a TCP port"),
]


@pytest.mark.parametrize("case, extra_vars, message", BAD_INPUT_CASES, ids=[c[0] for c in BAD_INPUT_CASES])
def test_bad_input_fails_before_change(case, extra_vars, message):
    before = server_snapshot()

    code, output, changed, failed = run_converge(extra_vars=extra_vars)

    assert code != 0
    assert failed == 1
    assert changed == 0
    assert message in " ".join(output.split()), output[-3000:]
    assert "4242424242" not in output
    assert server_snapshot() == before


def test_server_error_reported_masked(scenario_vars):
    before = server_snapshot()

    code, output, changed, failed = run_converge(
        extra_vars={"mysql_datadog_extra_privileges": {"ddlab_missing_db.missing_table": ["SELECT"]}})

    assert code != 0
    assert "Setting up datadog@localhost failed:" in output, output[-3000:]
    assert "ddlab_missing_db" in output
    assert scenario_vars["mysql_datadog_password"] not in output
    assert server_snapshot() == before


def test_tcp_connection_uses_ip_account():
    # With datadog@localhost present, a TCP login from 127.0.0.1 may match it instead, so drop it first.
    root_query("DROP USER 'datadog'@'localhost'")
    try:
        code, output, changed, failed = run_converge(extra_vars={"mysql_datadog_connection": "tcp"})
        assert code == 0, output[-3000:]
        assert "also exists with the host part" not in output

        with open(CONF_PATH) as handle:
            instance = yaml.safe_load(handle)["instances"][0]
        assert "sock" not in instance
        assert (instance["host"], instance["port"]) == ("127.0.0.1", 3306)
        connection = pymysql.connect(user=instance["username"], password=instance["password"],
                                     host=instance["host"], port=instance["port"], connect_timeout=10)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT CURRENT_USER()")
                assert cursor.fetchone()[0] == "datadog@127.0.0.1"
        finally:
            connection.close()
    finally:
        code, output, changed, failed = run_converge()
        root_query("DROP USER IF EXISTS 'datadog'@'127.0.0.1'")
    assert code == 0, output[-3000:]
    assert "WARNING: datadog also exists with the host part(s) 127.0.0.1." in " ".join(output.split())
