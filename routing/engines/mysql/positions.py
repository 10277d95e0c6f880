"""GTID positions: MariaDB's domain-server-sequence GTIDs and MySQL's executed GTID sets."""

from __future__ import annotations

import re

from routing.engines.base import Positions

_MARIADB_GTID = re.compile(r"^\d{1,10}-\d{1,10}-\d{1,20}$")
# MySQL: uuid:interval[:interval...], and since 8.3 tagged GTIDs (uuid:tag:interval);
# several sources are separated by commas.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_INTERVAL = r"\d{1,19}(?:-\d{1,19})?"
_TAG = r"[a-z_][a-z0-9_]{0,31}"
_MYSQL_SOURCE = rf"{_UUID}(?::(?:{_TAG}:)?{_INTERVAL})+"
_MYSQL_GTID_SET = re.compile(rf"^{_MYSQL_SOURCE}(?:,{_MYSQL_SOURCE})*$", re.IGNORECASE)
_MAX_MYSQL_SET = 8192


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


def mysql_gtid_set(gtid_set: str) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """'uuid:1-5:7,uuid2:tag:3' -> {(uuid, tag): [(first, last), ...]} (tag "" when untagged).

    A tag applies to the intervals after it, until the next tag, as MySQL prints them.
    """
    result: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for source in filter(None, gtid_set.replace("\n", "").replace(" ", "").lower().split(",")):
        uuid, *parts = source.split(":")
        tag = ""
        for part in parts:
            if not part[0].isdigit():
                tag = part
                continue
            first, _, last = part.partition("-")
            result.setdefault((uuid, tag), []).append((int(first), int(last or first)))
    return result


def _inside(interval: tuple[int, int], intervals: list[tuple[int, int]]) -> bool:
    # MySQL keeps a set's intervals merged: one interval holds all of a contiguous range.
    first, last = interval
    return any(have_first <= first and last <= have_last for have_first, have_last in intervals)


class MySQLGtid(Positions):
    """MySQL with gtid_mode=ON: the executed GTID set; WAIT_FOR_EXECUTED_GTID_SET on a replica."""

    name = "mysql-gtid"

    def after_commit(self, connection) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@GLOBAL.gtid_mode, @@GLOBAL.gtid_executed")
            mode, executed = cursor.fetchone()
        return executed.replace("\n", "") if mode == "ON" and executed else None

    def is_valid(self, position: str) -> bool:
        return len(position) < _MAX_MYSQL_SET and bool(_MYSQL_GTID_SET.match(position))

    def reached(self, connection, position: str, timeout: float) -> bool:
        with connection.cursor() as cursor:
            if timeout <= 0:
                # WAIT_FOR_EXECUTED_GTID_SET waits forever with a timeout of 0: ask instead.
                cursor.execute("SELECT GTID_SUBSET(%s, @@GLOBAL.gtid_executed)", [position])
                return cursor.fetchone()[0] == 1
            cursor.execute("SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)", [position, timeout])
            return cursor.fetchone()[0] == 0

    def covers(self, applied: str, position: str) -> bool:
        """Whether the replica's gtid_executed (from the health cache) holds every GTID of ``position``."""
        if not applied:
            return False
        have = mysql_gtid_set(applied)
        return all(
            all(_inside(interval, have.get(source, [])) for interval in intervals)
            for source, intervals in mysql_gtid_set(position).items()
        )


MARIADB = MariaDBGtid()
MYSQL = MySQLGtid()
