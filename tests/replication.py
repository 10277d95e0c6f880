"""Making replication visible to tests on MySQL and PostgreSQL; every helper is a no-op on SQLite.

Replication is asynchronous: a row committed on the primary reaches a replica
a moment later. Tests that write and then read through a replica first wait
until the replicas have applied the primary's position (a GTID set on MySQL, a
WAL position on PostgreSQL). They wait on connections of their own, so the
waits never show up in the application's query log or in
``django_assert_num_queries``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connections

REPLICAS = ("replica1", "replica2")
WAIT_SECONDS = 10
# PostgreSQL 15-18 have no server-side wait for a WAL position: poll.
POLL_SECONDS = 0.005


def engine_of(config: dict) -> str:
    """The engine of a DATABASES entry: sqlite, mysql or postgresql."""
    engine = config["ENGINE"]
    for name in ("mysql", "postgresql"):
        if name in engine:
            return name
    if "sqlite" in engine:
        return "sqlite"
    raise AssertionError(f"the tests know no engine {engine!r}")


ENGINE = engine_of(settings.DATABASES["primary"])
ON_MYSQL = ENGINE == "mysql"
ON_POSTGRESQL = ENGINE == "postgresql"
ON_SQLITE = ENGINE == "sqlite"
REPLICATED = ON_MYSQL or ON_POSTGRESQL

_local = threading.local()
# Every connection opened by any thread, so that the session's end closes them all.
_opened: list = []
_opened_lock = threading.Lock()


def _cache() -> dict:
    return _local.__dict__.setdefault("connections", {})


def raw_connection(alias: str):
    """A driver connection of this thread's own to ``alias`` (test database), in autocommit."""
    cache = _cache()
    if alias not in cache:
        wrapper = connections[alias]
        connection = wrapper.get_new_connection(wrapper.get_connection_params())
        if callable(getattr(type(connection), "autocommit", None)):
            connection.autocommit(True)  # MySQLdb, PyMySQL: a method
        else:
            connection.autocommit = True  # psycopg: a property
        with _opened_lock:
            _opened.append(connection)
        cache[alias] = connection
    return cache[alias]


def _close(connection) -> None:
    with contextlib.suppress(Exception):  # a dead connection is as good as closed
        connection.close()


def close_raw_connections() -> None:
    """Close every thread's own connections (PostgreSQL cannot drop a database they are connected to).

    Another thread that queries again finds its connection closed and reconnects.
    """
    with _opened_lock:
        opened = list(_opened)
        _opened.clear()
    for connection in opened:
        _close(connection)
    _cache().clear()


def query_one(alias: str, sql: str, params: tuple = ()):
    """One row from ``alias``; reconnects once if the server was restarted meanwhile."""
    database = connections[alias].Database
    lost_connection = (database.OperationalError, database.InterfaceError)
    for attempt in (1, 2):
        try:
            cursor = raw_connection(alias).cursor()
            try:
                cursor.execute(sql, params or None)
                return cursor.fetchone() if cursor.description else None
            finally:
                cursor.close()
        except lost_connection:
            stale = _cache().pop(alias, None)
            if stale is not None:
                with _opened_lock:
                    if stale in _opened:
                        _opened.remove(stale)
                _close(stale)
            if attempt == 2:
                raise
    return None


def on_mariadb() -> bool:
    """Whether the MySQL-protocol servers are MariaDB (else Oracle MySQL); False off MySQL."""
    return ON_MYSQL and connections["primary"].mysql_is_mariadb


def server_kind() -> str:
    """``MariaDB``, ``MySQL``, ``PostgreSQL`` or ``SQLite``: for expectations that differ by server."""
    if ON_MYSQL:
        return "MariaDB" if on_mariadb() else "MySQL"
    return "PostgreSQL" if ON_POSTGRESQL else "SQLite"


def primary_position() -> str:
    """The primary's position: a GTID position (MariaDB) or set (MySQL), or a WAL position (PostgreSQL)."""
    if ON_POSTGRESQL:
        # The flush position: everything a COMMIT has returned for is flushed,
        # and it is what the WAL senders stream. The insert position
        # (pg_current_wal_insert_lsn) can sit past a page header that no
        # standby reports until more WAL arrives, so waiting for it could hang.
        return query_one("primary", "SELECT pg_current_wal_flush_lsn()::text")[0]
    if on_mariadb():
        return query_one("primary", "SELECT @@gtid_binlog_pos")[0]
    return query_one("primary", "SELECT @@GLOBAL.gtid_executed")[0].replace("\n", "")


def _wait_for_standby(replica: str, position: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        in_recovery, replayed, reached = query_one(
            replica,
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, pg_last_wal_replay_lsn() >= %s::pg_lsn",
            (position,),
        )
        if not in_recovery:
            raise AssertionError(f"{replica} is not a standby (pg_is_in_recovery() is false): nothing to wait for")
        if reached:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"{replica} did not replay WAL position {position} within {timeout} s (replayed: {replayed})"
            )
        time.sleep(POLL_SECONDS)


def wait_for_replicas(replicas: tuple[str, ...] = REPLICAS, timeout: float = WAIT_SECONDS) -> None:
    """Block until ``replicas`` have applied everything the primary has committed."""
    if not REPLICATED:
        return
    position = primary_position()
    for replica in replicas:
        if ON_POSTGRESQL:
            _wait_for_standby(replica, position, timeout)
            continue
        wait = "MASTER_GTID_WAIT" if on_mariadb() else "WAIT_FOR_EXECUTED_GTID_SET"
        (result,) = query_one(replica, f"SELECT {wait}(%s, %s)", (position, timeout))
        if result != 0:
            raise AssertionError(f"{replica} did not reach GTID {position} within {timeout} s")


def free_port() -> int:
    """A port nothing listens on (for provoking connection failures)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def topology():
    """The test topology: run SQL as the administrator, change a replica's delay, stop servers.

    The MySQL ``Topology`` (MariaDB or Oracle MySQL), the PostgreSQL ``Cluster`` on PostgreSQL,
    as the suite runner left it in ``TOPOLOGY_HOME``.
    """
    home = Path(os.environ["TOPOLOGY_HOME"])
    if ON_POSTGRESQL:
        from topology.pg.cluster import Cluster

        return Cluster.load(home)
    from topology.topology import Topology

    return Topology.load(home)
