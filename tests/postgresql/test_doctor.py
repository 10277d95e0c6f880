"""dbdoctor on real PostgreSQL servers: healthy, then each failure provoked for real."""

import contextlib
import copy
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from routing.doctor import diagnose
from tests.command_diagnosis import assert_diagnosed, broken_url, manage
from tests.conftest import ALL_DATABASES
from tests.replication import free_port, topology, wait_for_replicas

pytestmark = pytest.mark.django_db(databases=ALL_DATABASES)
PROJECT = Path(__file__).resolve().parents[2]
PRIMARY = os.environ.get("PRIMARY_DATABASE_URL", "")


def diagnose_with(alias: str, **changes):
    databases = copy.deepcopy(settings.DATABASES)
    databases[alias].update(changes)
    [report] = diagnose(databases, [alias])
    return report


def only_finding(report):
    assert not report.healthy, report
    [finding] = report.findings
    return finding


def test_healthy_cluster_exits_zero_with_every_fact():
    out = io.StringIO()
    call_command("dbdoctor", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["healthy"] is True, document
    reports = {report["alias"]: report for report in document["aliases"]}
    primary, standby = reports["primary"], reports["replica1"]
    assert primary["server"].startswith("PostgreSQL ")
    assert (primary["read_only"], primary["replicating"]) == (False, False)
    assert primary["charset"] == "UTF8"
    assert primary["migrations"].startswith("all applied")
    assert (standby["read_only"], standby["replicating"]) == (True, True)
    assert standby["replication_threads"] == "WAL receiver streaming, replay running"
    assert standby["lag_seconds"] == 0
    assert "/" in standby["gtid"]  # a WAL position (LSN)
    assert reports["auth_db"]["migrations"].startswith("all applied")


def test_passwords_never_appear_in_its_output():
    passwords = {config["PASSWORD"] for config in settings.DATABASES.values() if config.get("PASSWORD")}
    assert passwords
    human, machine = io.StringIO(), io.StringIO()
    call_command("dbdoctor", stdout=human)
    call_command("dbdoctor", "--json", stdout=machine)
    refused = diagnose_with("primary", PASSWORD="not-the-password")
    output = human.getvalue() + machine.getvalue() + json.dumps(refused.as_dict())
    assert all(password not in output for password in [*passwords, "not-the-password"])


def test_nothing_listening_names_the_host_and_port_and_how_to_start_it():
    port = free_port()
    finding = only_finding(diagnose_with("replica1", PORT=port))
    assert finding.code == "connection-refused"
    assert f"Nothing is listening on 127.0.0.1:{port}" in finding.problem
    assert "REPLICA1_DATABASE_URL" in finding.fix
    assert f"pg_isready --host=127.0.0.1 --port={port}" in finding.fix


def test_a_pooled_alias_is_diagnosed_on_a_connection_of_its_own():
    """DB_POOL: the doctor names the refusal at once, not the pool's timeout after 10 s."""
    port = free_port()
    started = time.monotonic()
    pooled = {"OPTIONS": {**settings.DATABASES["replica1"]["OPTIONS"], "pool": {"timeout": 10}}}
    finding = only_finding(diagnose_with("replica1", PORT=port, **pooled))
    assert finding.code == "connection-refused"
    assert f"Nothing is listening on 127.0.0.1:{port}" in finding.problem
    assert time.monotonic() - started < 5


def test_wrong_password():
    finding = only_finding(diagnose_with("primary", PASSWORD="not-the-password"))
    assert finding.code == "28P01"
    assert 'password authentication failed for user "app"' in finding.problem
    assert "PRIMARY_DATABASE_URL" in finding.fix


def test_missing_database_on_a_reachable_server_and_create_missing():
    missing = "test_doctor_missing"
    report = diagnose_with("auth_db", NAME=missing)
    finding = only_finding(report)
    assert finding.code == "3D000"
    assert (report.reachable, report.database_present) == (True, False)  # missing, not unreachable
    assert "--create-missing" in finding.fix
    databases = copy.deepcopy(settings.DATABASES)
    databases["auth_db"]["NAME"] = missing
    try:
        [created] = diagnose(databases, ["auth_db"], create_missing=True)
        assert created.database_present is True
        assert created.charset == "UTF8"
        assert f"created database '{missing}' (UTF8)" in created.notes
        assert [finding.code for finding in created.findings] == ["migrations"]
    finally:
        topology().admin_sql(topology().primary_name, f'DROP DATABASE IF EXISTS "{missing}"')


def test_create_missing_never_creates_on_a_standby():
    databases = copy.deepcopy(settings.DATABASES)
    databases["replica1"]["NAME"] = "test_nope"
    [report] = diagnose(databases, ["replica1"], create_missing=True)
    assert only_finding(report).code == "3D000"
    assert report.notes == []


@contextlib.contextmanager
def hba_rewritten(rewrite):
    """The primary's pg_hba.conf rewritten line by line (``rewrite(fields) -> lines``), reloaded; restored after."""
    cluster = topology()
    server = cluster.servers[cluster.primary_name]
    hba = server.datadir / "pg_hba.conf"
    original = hba.read_text()
    lines = []
    for line in original.splitlines():
        fields = line.split()
        lines += [line] if not fields or fields[0].startswith("#") else rewrite(fields)
    hba.write_text("\n".join(lines) + "\n")
    reload_configuration(cluster, server)
    try:
        yield server
    finally:
        hba.write_text(original)
        reload_configuration(cluster, server)


def reload_configuration(cluster, server, timeout: float = 10) -> None:
    """SIGHUP (which works even if a rewrite shut the superuser out), then wait until the server has reread it."""

    def loaded_at() -> str:
        return cluster.admin_sql(server.name, "SELECT pg_conf_load_time()").strip()

    before = loaded_at()
    os.kill(server.pid(), signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while loaded_at() == before:
        assert time.monotonic() < deadline, f"{server.name} did not reload its configuration"
        time.sleep(0.05)


def only_these_users_over_tcp(fields):
    if fields[:3] == ["host", "all", "all"]:
        return [" ".join(["host", "all", "postgres,repl", *fields[3:]])]
    return [" ".join(fields)]


def test_no_pg_hba_entry_gives_the_line_to_add():
    with hba_rewritten(only_these_users_over_tcp):
        finding = only_finding(diagnose_with("auth_db"))
    assert finding.code == "pg_hba"
    assert "no pg_hba.conf entry" in finding.problem
    database = settings.DATABASES["auth_db"]["NAME"]
    assert f"host  {database}  app  127.0.0.1/32  scram-sha-256" in finding.fix


def test_a_role_that_does_not_exist():
    # scram-sha-256 answers an unknown role as a wrong password (it tells strangers
    # nothing); with a trust line for it, the server says the role does not exist.
    def trust_the_stranger(fields):
        line = " ".join(fields)
        return ["host all nobody_here 127.0.0.1/32 trust", line] if fields[:3] == ["host", "all", "all"] else [line]

    with hba_rewritten(trust_the_stranger):
        finding = only_finding(diagnose_with("primary", USER="nobody_here", PASSWORD="x"))
    assert finding.code == "role-missing"
    assert 'role "nobody_here" does not exist' in finding.problem
    assert 'CREATE ROLE "nobody_here" LOGIN' in finding.fix


def test_peer_authentication_on_a_socket_says_use_tcp():
    def peer_on_the_socket(fields):
        # For the app only: the cluster's own superuser keeps logging in through the socket.
        line = " ".join(fields)
        return ["local all app peer", line] if fields[0] == "local" else [line]

    with hba_rewritten(peer_on_the_socket) as server:
        finding = only_finding(diagnose_with("primary", HOST=str(server.socket_dir), PORT=server.port))
    assert finding.code == "peer-auth"
    assert "Peer authentication failed" in finding.problem
    assert "127.0.0.1" in finding.fix


@pytest.fixture
def receiver_pointed_nowhere():
    """replica1's WAL receiver aimed at a port where nothing listens, so it stops streaming."""
    cluster = topology()
    original = cluster.admin_sql("replica1", "SHOW primary_conninfo").strip()
    nowhere = " ".join(part for part in original.split() if not part.startswith("port=")) + f" port={free_port()}"
    cluster.admin_sql("replica1", f"ALTER SYSTEM SET primary_conninfo = '{nowhere}'; SELECT pg_reload_conf();")
    cluster.admin_sql("replica1", "SELECT pg_terminate_backend(pid) FROM pg_stat_wal_receiver")
    try:
        yield
    finally:
        cluster.admin_sql("replica1", f"ALTER SYSTEM SET primary_conninfo = '{original}'; SELECT pg_reload_conf();")
        wait_for_replicas(timeout=30)


def test_standby_whose_wal_receiver_is_down(receiver_pointed_nowhere):
    [report] = diagnose(settings.DATABASES, ["replica1"])
    codes = [finding.code for finding in report.findings]
    assert "not-receiving" in codes, report.findings
    finding = report.findings[codes.index("not-receiving")]
    assert "WAL receiver" in finding.problem
    # Where it tries to connect (the usual cause; the error itself is only in the standby's log).
    assert "primary_conninfo names host=127.0.0.1 port=" in finding.problem
    assert "password=" not in finding.problem + finding.fix


def test_missing_driver_is_reported_with_the_install_command(tmp_path):
    (tmp_path / "psycopg").mkdir()
    (tmp_path / "psycopg" / "__init__.py").write_text("raise ImportError('psycopg: a broken install')\n")
    (tmp_path / "psycopg2").mkdir()
    (tmp_path / "psycopg2" / "__init__.py").write_text("raise ImportError('psycopg2: not installed')\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "dbdoctor", "--database", "replica1"],
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    printed = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in printed
    assert "Configuration error: The database URLs name PostgreSQL, but psycopg could not be imported" in printed
    assert "psycopg: a broken install" in printed
    assert "psycopg[binary]" in printed


# Where the user is: management commands --------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"port": "free"}, "connection-refused", ["Nothing is listening on 127.0.0.1:", "pg_isready"]),
        ({"password": "not-the-password"}, "28P01", ['password authentication failed for user "app"']),
        ({"database": "test_my_db"}, "3D000", ["Database 'test_my_db' does not exist", "--create-missing"]),
    ],
)
def test_migrate_on_a_broken_primary_url(change, code, words):
    if change.get("port") == "free":
        change = {"port": free_port()}
    result = manage("migrate", "--no-input", PRIMARY_DATABASE_URL=broken_url(PRIMARY, **change))
    printed = assert_diagnosed(result, "primary", code, *words)
    assert "not-the-password" not in printed
