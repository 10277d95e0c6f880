"""MySQL and MariaDB: GTID replication, SHOW REPLICA STATUS, read_only replicas."""

from __future__ import annotations

import math

from django.db import DatabaseError

from routing.diagnosis import AliasReport, Target
from routing.engines.base import UNREAD, ConnectError, Engine, Positions, ReplicaStatus
from routing.engines.mysql import doctor
from routing.engines.mysql.errors import EXPLANATIONS, GREETING_CODES, server_advice
from routing.engines.mysql.greeting import UNKNOWN, read_greeting
from routing.engines.mysql.positions import MARIADB, MYSQL
from routing.engines.mysql.status import read_status, replica_status, worker_error

# Client errors that mean the server went away, not that the query was wrong.
_DISCONNECTS = {2002, 2003, 2006, 2013, 2055}


def _is_mariadb(cursor) -> bool:
    cursor.execute("SELECT VERSION()")
    return "mariadb" in cursor.fetchone()[0].lower()


class MySQL(Engine):
    vendor = "mysql"
    display_name = "MySQL/MariaDB"
    explanations = EXPLANATIONS
    replica_advice = {
        "replication-stopped": (
            "Replication is not running ({detail}). Last error: {last_error}",
            "Fix the cause named in the error, then on the replica: START REPLICA; "
            "and watch SHOW REPLICA STATUS until both threads say Yes.",
        ),
        "not-receiving": (
            "The replica is not receiving changes from the primary ({detail}). Last error: {receive_error}",
            "Check that the primary is up and reachable from the replica with the replication user, then "
            "on the replica: START REPLICA; (SHOW REPLICA STATUS: Last_IO_Error says why it stopped).",
        ),
        "lagging": (
            "The replica is {lag} s behind the primary (limit {limit} s).",
            "Look for long-running statements on the replica, or a configured delay (SHOW REPLICA STATUS: "
            "SQL_Delay; MASTER_DELAY on MariaDB, SOURCE_DELAY on MySQL).",
        ),
        "not-a-replica": (
            "This server replicates from nowhere: reads here will not see the primary's writes.",
            "Point the alias at a replica, or set up replication (MariaDB: CHANGE MASTER TO ...; MySQL: "
            "CHANGE REPLICATION SOURCE TO ...; then START REPLICA;).",
        ),
    }
    role_advice = {
        "replica-writable": (
            "read_only is OFF: a write sent here by mistake would succeed and the replica would drift.",
            "SET GLOBAL read_only = ON; and start the server with --read-only (read_only=1 in my.cnf); "
            "on MySQL also super_read_only, which binds privileged accounts too.",
        ),
        "primary-read-only": (
            "read_only is ON: every write will fail with error 1290. Does this alias point at a replica?",
            "Point {url_variable} at the primary server.",
        ),
    }

    driver_hint = (
        "pip install -r requirements-mysql.txt (mysqlclient: needs libmariadb-dev, pkg-config and a compiler), "
        "or pip install -r requirements-pymysql.txt (PyMySQL: pure Python)."
    )

    def doctor_options(self, timeout: int) -> dict:
        # A read timeout too: something that accepts the connection but never
        # speaks MySQL would otherwise hold the doctor for the driver's default.
        return {"connect_timeout": timeout, "read_timeout": timeout}

    def probe_params(self, params: dict, timeout: float) -> dict:
        # Both drivers take whole seconds.
        seconds = max(1, math.ceil(timeout))
        return {**params, "connect_timeout": seconds, "read_timeout": seconds}

    def is_disconnect(self, error: Exception) -> bool:
        return bool(error.args) and error.args[0] in _DISCONNECTS

    def replica_status(self, cursor) -> ReplicaStatus | None:
        status = read_status(cursor)
        if status is None:
            return None
        if status.get("Last_SQL_Error"):
            status["Last_SQL_Error"] = worker_error(cursor, status["Last_SQL_Error"])
        cursor.execute("SELECT @@gtid_slave_pos" if _is_mariadb(cursor) else "SELECT @@GLOBAL.gtid_executed")
        return replica_status(status, applied=(cursor.fetchone()[0] or "").replace("\n", ""))

    def primary_position(self, cursor) -> str:
        cursor.execute("SELECT @@gtid_binlog_pos" if _is_mariadb(cursor) else "SELECT @@GLOBAL.gtid_executed")
        return (cursor.fetchone()[0] or "").replace("\n", "")

    def positions(self, connection) -> Positions:
        return MARIADB if connection.mysql_is_mariadb else MYSQL

    def target(self, alias: str, config: dict, url_variable: str) -> Target:
        options = config.get("OPTIONS", {})
        host = config.get("HOST") or "localhost"
        if options.get("unix_socket"):
            host = f"{host} (socket {options['unix_socket']})"
        return Target(
            alias=alias,
            host=host,
            port=str(config.get("PORT") or 3306),
            user=config.get("USER") or "",
            database=config.get("NAME") or "",
            url_variable=url_variable,
            socket=options.get("unix_socket") or "",
        )

    def explanation_extras(self, error: ConnectError, target: Target) -> dict[str, str]:
        kind = UNKNOWN
        if error.code in GREETING_CODES:
            host = target.host.split(" (socket")[0]
            kind = read_greeting(host, int(target.port or 3306), target.socket)
        return server_advice(kind)

    def create_database(self, handler, report: AliasReport) -> None:
        doctor.create_database(handler, report)

    def diagnose(self, handler, report: AliasReport, target: Target, create_missing: bool):
        if not self.open_or_create(handler, report, target, create_missing):
            return UNREAD
        with handler[report.alias].cursor() as cursor:
            doctor.read_server(cursor, report)
            account = doctor.current_account(cursor)
            try:
                status = self.replica_status(cursor)
            except DatabaseError as error:
                status = UNREAD
                if report.role == "replica":
                    report.findings.append(doctor.replication_invisible(report, error, account))
            doctor.read_schema(cursor, report)
            if report.role == "replica":
                doctor.check_privileges(cursor, report, target, account)
        return status


ENGINE = MySQL()
POSITIONS = (MARIADB, MYSQL)
