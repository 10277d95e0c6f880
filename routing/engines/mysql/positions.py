"""GTID positions: MariaDB's domain-server-sequence GTIDs and MySQL's executed GTID sets."""

from __future__ import annotations

import re

from routing.engines.base import Positions

_MARIADB_GTID = re.compile(r"^\d{1,10}-\d{1,10}-\d{1,20}$")
_MYSQL_GTID_SET = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:\d+(-\d+)?)+"
    r"(,[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:\d+(-\d+)?)+)*$"
)


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

    def covers(self, applied: str, position: str) -> bool:
        # GTID sequence numbers only grow within a domain (gtid_strict_mode).
        have = _mariadb_gtids(applied)
        return all(have.get(domain, -1) >= sequence for domain, sequence in _mariadb_gtids(position).items())


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


MARIADB = MariaDBGtid()
MYSQL = MySQLGtid()
