"""Every troubleshooting symptom the service prints, provoked for real and found in the README.

A user pastes what they saw into a search box, so the README must quote each
message exactly as the service prints it. Each test here makes the service
print one of them and checks both that the message appears and that the
troubleshooting table quotes it. The last test keeps the table honest: a row
whose symptom no test provokes must say which other program prints it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from api.models import Article
from tests.breakage import unmigrated, unreachable
from tests.conftest import PASSWORD, routed_db
from tests.live.server import embedded_environment
from tests.readme import troubleshooting_symptoms
from topology.binaries import Binaries, MissingServer, find_binaries, find_flavor
from topology.oracle_mysql import BuildError, debootstrap
from topology.pg.binaries import MissingPostgres
from topology.pg.binaries import find_binaries as find_postgres
from topology.server import Server, TopologyError
from topology.topology import Topology

PROJECT = Path(__file__).resolve().parents[2]

# What the service prints, as the README's troubleshooting table must quote it.
PRINTED_BY_THE_SERVICE = {
    "Configuration error: SECRET_KEY must be set in the environment when DEBUG is off.",
    "Configuration error: AUTH_DATABASE_URL is not set.",
    "Configuration error: No MySQL driver could be imported",
    "CommandError: 'replica1' is a replica",
    "Error: That port is already in use.",
    "is already in use by another program",
    "primary exited at start-up",
    "No MariaDB or MySQL server binary",
    '"code":"database_not_migrated"',
    '"code":"database_unavailable"',
    '"code":"override_forbidden"',
    '"code":"throttled"',
    '"code":"login_throttled"',
    '"code":"request_too_large"',
    "CSRF Failed:",
    "attempt to write a readonly database",
    "Configuration error: The database URLs name PostgreSQL, but psycopg could not be imported",
    "No PostgreSQL server programs",
    "cannot run its data",
    "No Oracle MySQL server",
    "debootstrap is missing",
}
# Quoted in the table, but printed by other programs (or not messages at all).
OTHER_PROGRAMS = {
    "Can't connect to MySQL server": "the MySQL driver (provoked on real servers in tests/mysql/test_doctor.py)",
    "Access denied": "the MySQL driver (tests/mysql/test_doctor.py)",
    "Unknown database": "the MySQL driver (tests/mysql/test_doctor.py)",
    "make ": "the name of a make target, not a message",
    "migrate": "the name of a command, not a message",
    "Chromium not found": "the browser test, tests/browser/test_swagger_ui.py",
    "mysqlclient could not be built": "the Makefile (provoked in tests/test_mysql_driver_install.py)",
    'connection to server at "127.0.0.1", port 5433 failed': "the PostgreSQL driver (tests/postgresql/test_doctor.py)",
    "password authentication failed": "the PostgreSQL driver (tests/postgresql/test_doctor.py)",
    "no pg_hba.conf entry": "the PostgreSQL driver (tests/postgresql/test_doctor.py)",
    "Peer authentication failed": "the PostgreSQL driver (tests/postgresql/test_doctor.py)",
    "cannot execute INSERT in a read-only transaction": "a PostgreSQL standby (tests/postgresql/test_replication.py)",
    "Plugin 'mysql_native_password' is not loaded": "Oracle MySQL 9 (tests/mysql/test_doctor.py)",
    "'cryptography' package is required": "PyMySQL (tests/mysql/test_authentication.py)",
    "Plugin caching_sha2_password could not be loaded": "libmariadb (tests/mysql/test_authentication.py)",
}


def assert_quoted(printed: str, symptom: str) -> None:
    """The service printed ``symptom``, and the troubleshooting table quotes it word for word."""
    assert symptom in PRINTED_BY_THE_SERVICE
    assert symptom in printed, f"the service no longer prints {symptom!r}; it printed:\n{printed}"
    assert any(symptom in quoted for quoted in troubleshooting_symptoms()), (
        f"README's troubleshooting table does not quote {symptom!r}"
    )


def manage(tmp_path: Path, *args: str, **env: str) -> str:
    environment = {**embedded_environment(tmp_path), **env}
    environment.pop("SECRET_KEY", None)
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0, "the command was expected to fail"
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr


def test_secret_key_missing_with_debug_off(tmp_path):
    printed = manage(tmp_path, "check", DEBUG="false")
    assert_quoted(printed, "Configuration error: SECRET_KEY must be set in the environment when DEBUG is off.")


def test_auth_database_url_missing(tmp_path):
    printed = manage(tmp_path, "check", PRIMARY_DATABASE_URL=f"sqlite:///{tmp_path / 'primary.sqlite3'}")
    assert_quoted(printed, "Configuration error: AUTH_DATABASE_URL is not set.")


def test_no_mysql_driver(tmp_path):
    # Both drivers shadowed by modules that fail to import, as a broken build does.
    for name in ("MySQLdb", "pymysql"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('{name}: broken build')\n")
    printed = manage(
        tmp_path,
        "check",
        PYTHONPATH=str(tmp_path),
        PRIMARY_DATABASE_URL="mysql://app:secret@127.0.0.1:1/articles",
        AUTH_DATABASE_URL="mysql://app:secret@127.0.0.1:1/articles_auth",
    )
    assert_quoted(printed, "Configuration error: No MySQL driver could be imported")


def test_no_postgresql_driver(tmp_path):
    (tmp_path / "psycopg").mkdir()
    (tmp_path / "psycopg" / "__init__.py").write_text("raise ImportError('psycopg: broken build')\n")
    printed = manage(
        tmp_path,
        "check",
        PYTHONPATH=str(tmp_path),
        PRIMARY_DATABASE_URL="postgres://app:secret@127.0.0.1:1/articles",
        AUTH_DATABASE_URL="postgres://app:secret@127.0.0.1:1/articles_auth",
    )
    assert_quoted(printed, "Configuration error: The database URLs name PostgreSQL, but psycopg could not be imported")


def test_pg_up_without_server_programs(tmp_path):
    # A machine without PostgreSQL: nothing on PATH, no pg_config, none of the usual folders.
    with pytest.raises(MissingPostgres) as missing:
        find_postgres({"PATH": str(tmp_path)}, well_known=())
    assert_quoted(str(missing.value), "No PostgreSQL server programs")


def test_migrate_on_a_replica(tmp_path):
    printed = manage(tmp_path, "migrate", "--database", "replica1")
    assert_quoted(printed, "CommandError: 'replica1' is a replica")


def test_runserver_on_a_port_in_use(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        printed = manage(tmp_path, "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}")
    assert_quoted(printed, "Error: That port is already in use.")


# The local MariaDB topology ------------------------------------------------------------


def test_db_up_on_a_port_in_use(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = Server("primary", port, 1, tmp_path / "primary", read_only=False)
        # The port is checked before the server program is run, so none is needed.
        with pytest.raises(TopologyError) as refused:
            server.start(Binaries(server="/bin/false", install_db="/bin/false", client="/bin/false", version=""))
    assert f"port {port} is already in use" in str(refused.value)
    assert_quoted(str(refused.value), "is already in use by another program")


def test_db_up_whose_server_exits_at_start_up(tmp_path):
    # A server program that exits at once, as mariadbd does on a broken data folder.
    server = Server("primary", free_port(), 1, tmp_path / "primary", read_only=False)
    server.start(Binaries(server="/bin/false", install_db="/bin/false", client="/bin/false", version=""))
    with pytest.raises(TopologyError) as failed:
        server.wait_until_ready(timeout=30)
    assert_quoted(str(failed.value), "primary exited at start-up")


def test_db_up_without_a_server_binary(monkeypatch, tmp_path):
    # A machine without MariaDB: nothing on PATH, nothing in the usual folders.
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("topology.binaries._EXTRA_DIRS", [])
    with pytest.raises(MissingServer) as missing:
        find_binaries()
    assert_quoted(str(missing.value), "No MariaDB or MySQL server binary")


def fake_server(folder: Path, version: str) -> str:
    """A server binary that only says which version it is, with the client beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, prints in (("mysqld", version), ("mysql", ""), ("mariadb-install-db", "")):
        (folder / name).write_text(f"#!/bin/sh\necho '{prints}'\n")
        (folder / name).chmod(0o755)
    return str(folder / "mysqld")


def test_db_up_with_a_server_of_the_other_kind(tmp_path, monkeypatch):
    mysql = fake_server(tmp_path / "mysql", "mysqld  Ver 9.7.4-2 for Linux on x86_64 ((Debian))")
    mariadb = fake_server(tmp_path / "mariadb", "mariadbd  Ver 10.11.19-MariaDB for debian-linux-gnu")
    home = tmp_path / "topology"
    monkeypatch.setenv("MYSQLD", mysql)
    Topology(home, {"primary": 1, "replica1": 2, "replica2": 3}).secrets()  # saves the server it was made with
    monkeypatch.setenv("MYSQLD", mariadb)
    with pytest.raises(TopologyError) as refused:
        Topology(home, {"primary": 1, "replica1": 2, "replica2": 3}).up()
    assert_quoted(str(refused.value), "cannot run its data")
    assert "was made with MySQL 9.7.4" in str(refused.value)


def test_oracle_mysql_run_without_oracle_mysql(tmp_path, monkeypatch):
    monkeypatch.setattr("topology.binaries.ORACLE_MYSQL", tmp_path / "absent" / "mysqld")
    monkeypatch.setattr("topology.binaries._EXTRA_DIRS", [])
    with pytest.raises(MissingServer) as missing:
        find_flavor("MySQL", {"PATH": str(tmp_path)})
    assert_quoted(str(missing.value), "No Oracle MySQL server")


def test_oracle_mysql_without_debootstrap(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("topology.oracle_mysql.Path.exists", lambda self: False)
    with pytest.raises(BuildError) as missing:
        debootstrap()
    assert_quoted(str(missing.value), "debootstrap is missing")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Error responses -------------------------------------------------------------------------


@routed_db
def test_database_not_migrated(anon, tmp_path):
    with unmigrated("replica1", tmp_path):
        response = anon.get("/api/articles/", HTTP_X_DB_ALIAS="replica1")
    assert response.status_code == 503
    assert_quoted(response.content.decode(), '"code":"database_not_migrated"')


@routed_db
def test_database_unavailable(anon, tmp_path):
    with unreachable("replica1", tmp_path):
        response = anon.get("/api/articles/", HTTP_X_DB_ALIAS="replica1")
    assert response.status_code == 503
    assert_quoted(response.content.decode(), '"code":"database_unavailable"')


@routed_db
def test_override_forbidden(anon, settings):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    response = anon.get("/api/articles/", HTTP_X_DB_ALIAS="replica1")
    assert response.status_code == 403
    assert_quoted(response.content.decode(), '"code":"override_forbidden"')


@routed_db
def test_throttled(alice_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "1/min"}}
    alice_client.post("/api/articles/", {"title": "First"}, format="json")
    response = alice_client.post("/api/articles/", {"title": "Second"}, format="json")
    assert response.status_code == 429
    assert_quoted(response.content.decode(), '"code":"throttled"')


@routed_db
def test_too_many_failed_logins(anon, settings):
    settings.LOGIN_FAILURE_LIMIT = 1
    anon.post("/api/auth/login/", {"username": "nobody", "password": "wrong"})
    response = anon.post("/api/auth/login/", {"username": "nobody", "password": "wrong"})
    assert response.status_code == 429
    assert_quoted(response.content.decode(), '"code":"login_throttled"')


@routed_db
def test_request_too_large(alice_client, settings):
    response = alice_client.post(
        "/api/articles/", {"title": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}, format="json"
    )
    assert response.status_code == 413
    assert_quoted(response.content.decode(), '"code":"request_too_large"')


@routed_db
def test_session_write_without_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="alice", password=PASSWORD)
    response = client.post("/api/articles/", {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert_quoted(response.content.decode(), "CSRF Failed:")


@routed_db
def test_write_through_a_replica_connection():
    with pytest.raises(OperationalError) as refused:
        Article.objects.using("replica1").create(title="Nowhere")
    assert_quoted(str(refused.value), "attempt to write a readonly database")


def test_every_symptom_in_the_table_is_provoked_here_or_printed_by_another_program():
    unexplained = [
        quoted
        for quoted in troubleshooting_symptoms()
        if not any(symptom in quoted for symptom in PRINTED_BY_THE_SERVICE)
        and not quoted.startswith(tuple(OTHER_PROGRAMS))
        and not quoted.isdigit()  # an HTTP status code, next to the body it comes with
    ]
    assert not unexplained, f"troubleshooting rows that no test provokes: {unexplained}"
