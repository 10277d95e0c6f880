"""dbdoctor on real servers: healthy, then each failure provoked for real."""

import contextlib
import copy
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from routing.doctor import diagnose
from tests.conftest import ALL_DATABASES
from tests.replication import free_port, on_mariadb, server_kind, topology, wait_for_replicas
from topology.server import TopologyError

pytestmark = pytest.mark.django_db(databases=ALL_DATABASES)
PROJECT = Path(__file__).resolve().parents[2]


def diagnose_with(alias: str, **changes):
    databases = copy.deepcopy(settings.DATABASES)
    databases[alias].update(changes)
    [report] = diagnose(databases, [alias])
    return report


def only_finding(report):
    assert not report.healthy
    [finding] = report.findings
    return finding


def test_healthy_topology_exits_zero_with_every_fact():
    out = io.StringIO()
    call_command("dbdoctor", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["healthy"] is True
    assert document["mysql_driver"].startswith(("mysqlclient", "PyMySQL"))
    reports = {report["alias"]: report for report in document["aliases"]}
    primary, replica = reports["primary"], reports["replica1"]
    assert primary["server"].startswith(server_kind())
    assert (primary["read_only"], primary["replicating"]) == (False, False)
    assert primary["migrations"].startswith("all applied")
    assert primary["charset"] == "utf8mb4"
    assert (replica["read_only"], replica["replicating"]) == (True, True)
    assert replica["replication_threads"] == "IO Yes, SQL Yes"
    # MySQL may report 1 s for an event applied within the last second.
    assert replica["lag_seconds"] in (0, 1)
    # MariaDB: domain-server-sequence; MySQL: the primary's server uuid and an interval.
    assert re.match(r"0-1-\d+$" if on_mariadb() else r"[0-9a-f-]{36}:1-\d+$", replica["gtid"]), replica["gtid"]
    assert reports["auth_db"]["migrations"].startswith("all applied")


def test_human_table_names_every_alias():
    out = io.StringIO()
    call_command("dbdoctor", stdout=out)
    text = out.getvalue()
    assert "All aliases are healthy." in text
    for alias in ("primary", "replica1", "replica2", "auth_db"):
        assert f"\n{alias}" in text


def test_passwords_never_appear_in_its_output():
    passwords = {config["PASSWORD"] for config in settings.DATABASES.values() if config.get("PASSWORD")}
    assert passwords, "the topology's aliases all have passwords"
    healthy, human = io.StringIO(), io.StringIO()
    call_command("dbdoctor", "--json", stdout=healthy)
    call_command("dbdoctor", stdout=human)
    refused = diagnose_with("primary", PASSWORD="not-the-password")
    output = healthy.getvalue() + human.getvalue() + json.dumps(refused.as_dict())
    assert all(password not in output for password in [*passwords, "not-the-password"])


def test_nothing_listening():
    port = free_port()
    finding = only_finding(diagnose_with("replica1", PORT=port))
    assert finding.code in {"2002", "2003"}
    assert f"Nothing is listening on 127.0.0.1:{port}" in finding.problem
    assert "REPLICA1_DATABASE_URL" in finding.fix


def test_wrong_password():
    finding = only_finding(diagnose_with("primary", PASSWORD="not-the-password"))
    assert finding.code == "1045"
    assert "Access denied" in finding.problem
    assert "PRIMARY_DATABASE_URL" in finding.fix
    # The command-line client of the server that answered.
    client = "mariadb" if on_mariadb() else "mysql"
    assert f"Check it: {client} --host=127.0.0.1" in finding.fix


@pytest.fixture
def socket_account():
    """'sockuser'@'%', which logs in through the OS socket: unix_socket on MariaDB, auth_socket on MySQL.

    On the primary alone (not binlogged): MySQL's replicas lack the auth_socket plugin.
    """
    cluster = topology()
    if on_mariadb():
        cluster.unlogged_sql("primary", "CREATE USER 'sockuser'@'%' IDENTIFIED VIA unix_socket;")
    else:
        loaded = cluster.admin_sql(
            "primary", "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'auth_socket'"
        )
        if loaded.strip() == "0":
            cluster.unlogged_sql("primary", "INSTALL PLUGIN auth_socket SONAME 'auth_socket.so';")
        cluster.unlogged_sql("primary", "CREATE USER 'sockuser'@'%' IDENTIFIED WITH auth_socket;")
    try:
        yield cluster
    finally:
        cluster.unlogged_sql("primary", "DROP USER IF EXISTS 'sockuser'@'%', 'doctor_app'@'%';")


def printed_statements(fix: str) -> str:
    """The SQL inside the fix's `sudo mariadb -e "..."` (or `sudo mysql -e`) line."""
    [line] = [line for line in fix.splitlines() if line.strip().startswith(("sudo mariadb -e", "sudo mysql -e"))]
    return line.split('-e "', 1)[1].rstrip('"').replace("\\`", "`")


def test_account_that_logs_in_through_the_os_socket(socket_account):
    finding = only_finding(diagnose_with("primary", USER="sockuser", PASSWORD="anything"))
    assert finding.code == "1698"
    assert "CREATE USER 'app'" in finding.fix
    # The advice is for the server that answered, and its statements work there.
    statements = printed_statements(finding.fix)
    if on_mariadb():
        assert finding.fix.startswith("On MariaDB 10.")
        assert "(unix_socket)" in finding.fix
    else:
        assert finding.fix.startswith("On MySQL 9.") or finding.fix.startswith("On MySQL 8.")
        assert "(auth_socket)" in finding.fix
        assert "IDENTIFIED WITH caching_sha2_password BY 'a-long-password'" in statements
        assert "mysql_native_password" not in statements
        assert "removed in 9.0" in finding.fix
    socket_account.unlogged_sql("primary", statements.replace("'app'", "'doctor_app'") + ";")
    fixed = diagnose_with("primary", USER="doctor_app", PASSWORD="a-long-password")
    assert fixed.reachable, fixed.findings


def test_the_old_native_password_advice_fails_on_mysql_9_and_works_on_mariadb(socket_account):
    """Why the doctor's advice depends on the server: the guide's fix, tried on the real one."""
    if on_mariadb():
        # The doctor's note for MariaDB: keep the socket login, add a password.
        note = only_finding(diagnose_with("primary", USER="sockuser", PASSWORD="x")).fix.splitlines()[-1]
        statement = note[note.index("ALTER USER") : note.rindex(";")].replace("'root'@'localhost'", "'sockuser'@'%'")
        socket_account.unlogged_sql("primary", statement + ";")
        # The password login is accepted now; the account only lacks rights on the database (1044).
        report = diagnose_with("primary", USER="sockuser", PASSWORD="a-long-password")
        assert [finding.code for finding in report.findings] == ["1044"]
        return
    with pytest.raises(TopologyError, match="Plugin 'mysql_native_password' is not loaded"):
        socket_account.unlogged_sql(
            "primary", "ALTER USER 'sockuser'@'%' IDENTIFIED WITH mysql_native_password BY 'a-long-password';"
        )


def test_unknown_database_and_create_missing():
    # The application user may create test_* databases, so the server says 1049.
    missing = "test_doctor_missing"
    report = diagnose_with("auth_db", NAME=missing)
    finding = only_finding(report)
    assert finding.code == "1049"
    assert report.database_present is False
    assert "--create-missing" in finding.fix
    databases = copy.deepcopy(settings.DATABASES)
    databases["auth_db"]["NAME"] = missing
    try:
        [created] = diagnose(databases, ["auth_db"], create_missing=True)
        assert created.database_present is True
        assert created.charset == "utf8mb4"
        assert f"created database '{missing}' (utf8mb4)" in created.notes
        # Present now, but empty: the remaining problem is the migrations.
        assert [finding.code for finding in created.findings] == ["migrations"]
    finally:
        topology().admin_sql("primary", f"DROP DATABASE IF EXISTS {missing}")


def test_no_rights_on_the_database_and_the_printed_grant_fixes_it():
    # Outside the app's grants (articles, articles_auth, test_%): the server says 1044.
    database = "nogrants_doctor"
    topology().admin_sql("primary", f"CREATE DATABASE IF NOT EXISTS {database}")
    try:
        finding = only_finding(diagnose_with("auth_db", NAME=database))
        assert finding.code == "1044"
        grant = finding.fix.splitlines()[-1].strip()
        # The account the server matched, never the unrelated 'app'@'%'.
        assert grant == f"GRANT ALL PRIVILEGES ON `{database}`.* TO 'app'@'127.0.0.1';"
        topology().admin_sql("primary", grant)
        fixed = diagnose_with("auth_db", NAME=database)
        assert fixed.reachable
        assert "1044" not in [finding.code for finding in fixed.findings]
    finally:
        topology().admin_sql("primary", f"DROP DATABASE IF EXISTS {database}")
        with contextlib.suppress(TopologyError):  # granted only if the test got that far
            topology().admin_sql("primary", f"REVOKE ALL PRIVILEGES ON `{database}`.* FROM 'app'@'127.0.0.1'")


def test_create_missing_never_creates_on_a_replica():
    report = diagnose(
        {**copy.deepcopy(settings.DATABASES), "replica1": {**settings.DATABASES["replica1"], "NAME": "test_nope"}},
        ["replica1"],
        create_missing=True,
    )[0]
    assert only_finding(report).code == "1049"
    assert report.notes == []


def test_socket_instead_of_tcp():
    report = diagnose_with("replica2", HOST="localhost", OPTIONS={"unix_socket": "/nonexistent/mysqld.sock"})
    finding = only_finding(report)
    # mysqlclient says 2002, PyMySQL 2003 (errno 2): the same diagnosis for both.
    assert finding.code in {"2002", "2003"}
    assert "Could not connect through the Unix socket /nonexistent/mysqld.sock" in finding.problem
    assert "127.0.0.1" in finding.fix


@pytest.fixture
def broken_replication_on_replica1():
    """A real replication failure: a row on replica1 that the primary then inserts too.

    (A conflicting CREATE DATABASE would not do: MariaDB replicas apply DDL
    idempotently by default. A duplicate key stops the SQL thread.)
    """
    cluster = topology()
    cluster.admin_sql(
        "primary", "CREATE DATABASE doctor_conflict; CREATE TABLE doctor_conflict.t (id INT PRIMARY KEY);"
    )
    wait_for_replicas()
    cluster.unlogged_sql("replica1", "INSERT INTO doctor_conflict.t VALUES (1);")
    cluster.admin_sql("primary", "INSERT INTO doctor_conflict.t VALUES (1);")
    deadline = time.monotonic() + 10
    while cluster.replication_status("replica1").sql_running != "No":
        assert time.monotonic() < deadline, "replication did not break"
        time.sleep(0.05)
    try:
        yield
    finally:
        cluster.unlogged_sql("replica1", "DELETE FROM doctor_conflict.t;")
        cluster.start_replication("replica1")
        cluster.admin_sql("primary", "DROP DATABASE doctor_conflict;")
        wait_for_replicas()


def test_stopped_replication_shows_the_last_error(broken_replication_on_replica1):
    [report] = diagnose(settings.DATABASES, ["replica1"])
    codes = [finding.code for finding in report.findings]
    assert "replication-stopped" in codes
    stopped = report.findings[codes.index("replication-stopped")]
    assert "SQL thread: No" in stopped.problem
    assert "Duplicate entry '1'" in stopped.problem  # the server's own last error
    assert "START REPLICA" in stopped.fix


def run_doctor(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {**os.environ, **extra_env}
    return subprocess.run(
        [sys.executable, "manage.py", "dbdoctor", "--json", "--database", "replica1"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_missing_driver_is_reported_with_the_install_commands(tmp_path):
    # Shadow both drivers with modules that fail to import, as a broken build does.
    for name in ("MySQLdb", "pymysql"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(
            f"raise ImportError('{name}: libmariadb.so.3: cannot open shared object file')\n"
        )
    result = run_doctor({"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "No MySQL driver could be imported" in result.stderr
    assert "libmariadb.so.3: cannot open shared object file" in result.stderr
    assert "apt-get install libmariadb-dev pkg-config gcc python3-dev" in result.stderr
    assert "requirements-pymysql.txt" in result.stderr


def test_pymysql_fallback_is_reported_and_works():
    result = run_doctor({"MYSQL_DRIVER": "pymysql"})
    document = json.loads(result.stdout)
    assert document["mysql_driver"].startswith("PyMySQL 1.")
    assert document["aliases"][0]["reachable"] is True
    assert document["aliases"][0]["server"].startswith(server_kind())
