# -*- coding: utf-8 -*-
"""Checks of the mysql role's result: the server, conf.yaml, and a login as the Datadog user.

The login reads conf.yaml and connects with exactly its keys (socket or TCP, user, password), then runs
what the Agent's MySQL check needs. PyMySQL connects from the test process, so these checks assume
the molecule host is this machine (local connection), as in every scenario of this collection.
"""

import pymysql
import pytest
import yaml

CONF_PATH = "/etc/datadog-agent/conf.d/mysql.d/conf.yaml"
SERVICE_BY_DISTRIBUTION = {"debian": "mariadb", "ubuntu": "mysql"}
ROOT_SOCKET = "/run/mysqld/mysqld.sock"


@pytest.fixture(scope="module")
def mysql_instance(host):
    """The first instance of the MySQL integration's conf.yaml."""
    # The tests run as root, like the scenarios, so conf.yaml (mode 0640) is readable.
    config = yaml.safe_load(host.file(CONF_PATH).content_string)
    return config["instances"][0]


def connect_like_agent(instance):
    """Open a PyMySQL connection with the connection keys of a conf.yaml instance."""
    options = {"user": instance["username"], "password": instance["password"], "connect_timeout": 10}
    if "sock" in instance:
        options["unix_socket"] = instance["sock"]
    else:
        options["host"] = instance["host"]
        options["port"] = int(instance.get("port", 3306))
    return pymysql.connect(**options)


@pytest.fixture
def agent_cursor(mysql_instance):
    """A cursor of the Datadog user, logged in with the keys of conf.yaml."""
    connection = connect_like_agent(mysql_instance)
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


@pytest.fixture
def root_cursor():
    """A cursor of root over the Unix socket (socket authentication, as the role uses)."""
    connection = pymysql.connect(user="root", unix_socket=ROOT_SOCKET, connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def test_mysql_server_running(host):
    service = host.service(SERVICE_BY_DISTRIBUTION[host.system_info.distribution])
    assert service.is_running


def test_mysql_conf_owner_and_mode(host):
    conf = host.file(CONF_PATH)
    assert conf.user == "dd-agent"
    assert conf.group == "dd-agent"
    assert conf.mode == 0o640


def test_mysql_conf_connection_keys(mysql_instance):
    assert mysql_instance["username"]
    assert isinstance(mysql_instance["password"], str) and mysql_instance["password"]
    assert "sock" in mysql_instance or mysql_instance["host"] == "127.0.0.1"


def test_mysql_agent_login_matches_account(agent_cursor, mysql_instance):
    agent_cursor.execute("SELECT CURRENT_USER()")
    user, account_host = agent_cursor.fetchone()[0].split("@", 1)
    assert user == mysql_instance["username"]
    assert account_host == ("localhost" if "sock" in mysql_instance else "127.0.0.1")


def test_mysql_agent_global_status_has_uptime(agent_cursor):
    agent_cursor.execute("SHOW GLOBAL STATUS LIKE 'Uptime'")
    rows = agent_cursor.fetchall()
    assert len(rows) == 1
    assert int(rows[0][1]) > 0


# Statements the Agent's MySQL check runs. Each fails with an access-denied error without its grant.
AGENT_STATEMENTS = [
    "SHOW SLAVE STATUS",
    "SHOW BINARY LOGS",
    "SELECT THREAD_ID, NAME, TYPE FROM performance_schema.threads LIMIT 5",
    "SELECT ID, USER, HOST, COMMAND, STATE FROM information_schema.processlist",
]


@pytest.mark.parametrize("statement", AGENT_STATEMENTS)
def test_mysql_agent_statement_allowed(agent_cursor, statement):
    try:
        agent_cursor.execute(statement)
    except pymysql.err.OperationalError as error:
        # SHOW BINARY LOGS fails with 1381 when binary logging is off, after the privilege check passed.
        assert statement == "SHOW BINARY LOGS", error
        assert error.args[0] == 1381, error
        return
    assert isinstance(agent_cursor.fetchall(), tuple)


def test_mysql_agent_sees_other_sessions(agent_cursor, root_cursor):
    # PROCESS lets the Agent see every session in the processlist, not only its own.
    root_cursor.execute("SELECT CONNECTION_ID()")
    root_connection_id = root_cursor.fetchone()[0]
    agent_cursor.execute("SELECT ID FROM information_schema.processlist")
    assert root_connection_id in [row[0] for row in agent_cursor.fetchall()]


@pytest.mark.parametrize("statement", [
    "SELECT User FROM mysql.user",
    "CREATE DATABASE ddlab_molecule_forbidden",
    "SET GLOBAL max_connections = 200",
])
def test_mysql_agent_least_privilege(agent_cursor, statement):
    with pytest.raises(pymysql.err.OperationalError) as error:
        agent_cursor.execute(statement)
    assert error.value.args[0] in (1044, 1142, 1227), error.value


def test_mysql_agent_connection_limit(root_cursor, mysql_instance):
    account_host = "localhost" if "sock" in mysql_instance else "127.0.0.1"
    root_cursor.execute(
        "SELECT max_user_connections FROM mysql.user WHERE User = %s AND Host = %s",
        (mysql_instance["username"], account_host))
    assert root_cursor.fetchone()[0] == 5
