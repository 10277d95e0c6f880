"""Replication facts read through a database connection, for each backend.

Two jobs: reading a replica's status (threads, lag, last error), shared by the
health checks and ``dbdoctor``; and replication *positions*, which make causal
reads possible: the position of a write on the primary, and whether a replica
has applied it.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from django.db import DatabaseError

# Replica status -------------------------------------------------------------------


def replica_status(cursor) -> dict | None:
    """SHOW REPLICA STATUS (MariaDB 10.5+, MySQL 8.0.22+), else its older name; None if not a replica."""
    try:
        cursor.execute("SHOW REPLICA STATUS")
    except DatabaseError:
        cursor.execute("SHOW SLAVE STATUS")
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip((column[0] for column in cursor.description), row, strict=True))


def threads(status: dict) -> tuple[str, str]:
    """The IO and SQL thread states ("Yes", "No", "Connecting")."""
    io_running = status.get("Slave_IO_Running") or status.get("Replica_IO_Running") or ""
    sql_running = status.get("Slave_SQL_Running") or status.get("Replica_SQL_Running") or ""
    return io_running, sql_running


def lag_seconds(status: dict) -> float | None:
    lag = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
    return None if lag is None else float(lag)


def last_error(status: dict) -> str:
    return status.get("Last_SQL_Error") or status.get("Last_IO_Error") or ""


# Positions --------------------------------------------------------------------------


class Positions(ABC):
    """How one backend names, reports and waits for a replication position."""

    name: str

    @abstractmethod
    def after_commit(self, connection) -> str | None:
        """The position of what ``connection`` (on the primary) has just committed."""

    @abstractmethod
    def is_valid(self, position: str) -> bool:
        """Whether ``position`` is well-formed; nothing else ever reaches SQL."""

    @abstractmethod
    def reached(self, connection, position: str, timeout: float) -> bool:
        """Whether the replica behind ``connection`` applies ``position`` within ``timeout`` seconds."""

    def applied(self, cursor) -> str:
        """The replica's own applied position, for the health cache."""
        return ""

    def covers(self, applied: str, position: str) -> bool:
        """Whether an applied position (from the health cache) includes ``position``; False if unknown."""
        return False


class SharedFile(Positions):
    """SQLite: the replicas read the primary's own file, so every write is already there."""

    name = "sqlite"
    MARK = "sqlite"

    def after_commit(self, connection) -> str | None:
        return self.MARK

    def is_valid(self, position: str) -> bool:
        return position == self.MARK

    def reached(self, connection, position: str, timeout: float) -> bool:
        return True

    def covers(self, applied: str, position: str) -> bool:
        return True


_MARIADB_GTID = re.compile(r"^\d{1,10}-\d{1,10}-\d{1,20}$")


def _mariadb_gtids(position: str) -> dict[int, int]:
    """'0-1-42,1-5-7' -> {domain: sequence number}."""
    result = {}
    for gtid in filter(None, position.replace(" ", "").split(",")):
        domain, _server, sequence = gtid.split("-")
        result[int(domain)] = int(sequence)
    return result


class MariaDBGtid(Positions):
    """MariaDB: @@last_gtid after a commit; MASTER_GTID_WAIT on a replica."""

    name = "mariadb-gtid"

    def after_commit(self, connection) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@last_gtid")
            position = cursor.fetchone()[0]
        return position or None  # empty when binary logging is off

    def is_valid(self, position: str) -> bool:
        gtids = position.split(",")
        return 0 < len(gtids) <= 64 and all(_MARIADB_GTID.match(gtid) for gtid in gtids)

    def reached(self, connection, position: str, timeout: float) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT MASTER_GTID_WAIT(%s, %s)", [position, timeout])
            return cursor.fetchone()[0] == 0

    def applied(self, cursor) -> str:
        cursor.execute("SELECT @@gtid_slave_pos")
        return cursor.fetchone()[0] or ""

    def covers(self, applied: str, position: str) -> bool:
        # GTID sequence numbers only grow within a domain (gtid_strict_mode).
        have = _mariadb_gtids(applied)
        return all(have.get(domain, -1) >= sequence for domain, sequence in _mariadb_gtids(position).items())


_MYSQL_GTID_SET = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:\d+(-\d+)?)+"
    r"(,[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:\d+(-\d+)?)+)*$"
)


class MySQLGtid(Positions):
    """MySQL with gtid_mode=ON: the executed GTID set; WAIT_FOR_EXECUTED_GTID_SET on a replica."""

    name = "mysql-gtid"

    def after_commit(self, connection) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@GLOBAL.gtid_mode, @@GLOBAL.gtid_executed")
            mode, executed = cursor.fetchone()
        return executed.replace("\n", "") if mode == "ON" and executed else None

    def is_valid(self, position: str) -> bool:
        return len(position) < 8192 and bool(_MYSQL_GTID_SET.match(position))

    def reached(self, connection, position: str, timeout: float) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)", [position, timeout])
            return cursor.fetchone()[0] == 0


SHARED_FILE = SharedFile()
MARIADB = MariaDBGtid()
MYSQL = MySQLGtid()


def positions_for(connection) -> Positions | None:
    """The position scheme of ``connection``'s backend, or None if it has none."""
    if connection.vendor == "sqlite":
        return SHARED_FILE
    if connection.vendor == "mysql":
        return MARIADB if connection.mysql_is_mariadb else MYSQL
    return None


def scheme_named(name: str) -> Positions | None:
    return {scheme.name: scheme for scheme in (SHARED_FILE, MARIADB, MYSQL)}.get(name)
