"""Both drivers log in as the application user, including the first login after a server restart.

On Oracle MySQL the account uses caching_sha2_password. Its fast path works
from a cache in the server's memory. The first login after a restart (or a
FLUSH PRIVILEGES) has an empty cache, and then the full exchange needs TLS or
the server's RSA key, which is where drivers fail. On MariaDB the account uses
mysql_native_password, which has no such second path. The same tests run on
both servers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest
from django.conf import settings

from tests.mysql.logins import log_in_as_configured
from tests.replication import on_mariadb, topology, wait_for_replicas

pytestmark = pytest.mark.django_db(databases=["primary", "replica2"])
PROJECT = Path(__file__).resolve().parents[2]


_LOGIN_KEYS = ("HOST", "PORT", "USER", "PASSWORD", "NAME")


def login(driver, alias: str, **options) -> str:
    """A new connection of ``driver`` to ``alias`` over TCP, as the application user; who it logged in as."""
    return log_in_as_configured(driver, {key: settings.DATABASES[alias][key] for key in _LOGIN_KEYS}, **options)


@pytest.fixture
def restarted_replica2():
    """replica2 just restarted: its authentication cache is empty."""
    cluster = topology()
    cluster.servers["replica2"].stop()
    cluster.up()
    yield
    wait_for_replicas(timeout=30)


def test_the_application_account_uses_the_servers_password_plugin():
    plugin = topology().admin_sql("primary", "SELECT plugin FROM mysql.user WHERE User = 'app' AND Host = '127.0.0.1'")
    assert plugin.strip() == ("mysql_native_password" if on_mariadb() else "caching_sha2_password")


# The login above with mysqlclient itself, in a process of its own: in this one
# `MySQLdb` is PyMySQL standing in for it when MYSQL_DRIVER=pymysql.
_MYSQLCLIENT_LOGIN = """
import json, sys
import MySQLdb
from tests.mysql.logins import log_in_as_configured
assert MySQLdb.__name__ == "MySQLdb", "mysqlclient itself, not PyMySQL standing in for it"
print(log_in_as_configured(MySQLdb, json.loads(sys.argv[1])))
"""


def login_with_mysqlclient(alias: str) -> str:
    config = {key: settings.DATABASES[alias][key] for key in _LOGIN_KEYS}
    result = subprocess.run(
        [sys.executable, "-c", _MYSQLCLIENT_LOGIN, json.dumps(config)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    "log_in",
    [
        pytest.param(login_with_mysqlclient, id="mysqlclient", marks=pytest.mark.mysqlclient),
        pytest.param(lambda alias: login(pymysql, alias), id="PyMySQL"),
    ],
)
def test_first_login_after_a_restart(log_in, restarted_replica2):
    assert log_in("replica2").startswith("app@")
    assert log_in("replica2").startswith("app@")  # and the cached login after it


def test_pymysql_without_tls_logs_in_with_the_rsa_key(restarted_replica2):
    # TLS off: the full exchange encrypts the password with the server's RSA
    # key, which PyMySQL does with the cryptography package.
    assert login(pymysql, "replica2", ssl_disabled=True).startswith("app@")


def doctor_on_replica2(**environment: str) -> dict:
    """``dbdoctor --json`` on replica2 in a process of its own; its report."""
    result = subprocess.run(
        [sys.executable, "manage.py", "dbdoctor", "--json", "--database", "replica2"],
        cwd=PROJECT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("{"), f"dbdoctor printed no report: {result.stderr}"
    [report] = json.loads(result.stdout)["aliases"]
    return report


def test_pymysql_without_cryptography_is_explained(tmp_path, restarted_replica2):
    """The exact error a user without the cryptography package meets, and the doctor's explanation."""
    shadow = tmp_path / "cryptography"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('No module named cryptography')\n")
    url = os.environ["REPLICA2_DATABASE_URL"] + "?ssl_disabled=true"
    report = doctor_on_replica2(PYTHONPATH=str(tmp_path), MYSQL_DRIVER="pymysql", REPLICA2_DATABASE_URL=url)
    if on_mariadb():
        # mysql_native_password needs no RSA: nothing to explain.
        assert report["reachable"] is True, report
        return
    [finding] = report["findings"]
    assert finding["code"] == "2059"
    assert "'cryptography' package is required" in finding["problem"]
    assert "pip install -r requirements-pymysql.txt" in finding["fix"]


@pytest.mark.mysqlclient
def test_mysqlclient_without_its_sha2_plugin_is_explained(tmp_path, restarted_replica2):
    """libmariadb keeps caching_sha2_password in a plugin file; without it, the doctor says what to install."""
    report = doctor_on_replica2(MYSQL_DRIVER="mysqlclient", MARIADB_PLUGIN_DIR=str(tmp_path))
    if on_mariadb():
        # mysql_native_password is built into the client library.
        assert report["reachable"] is True, report
        return
    [finding] = report["findings"]
    assert "Plugin caching_sha2_password could not be loaded" in finding["problem"]
    assert "libmariadb3" in finding["fix"]
