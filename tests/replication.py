"""Making replication visible to tests on MySQL; every helper is a no-op on SQLite.

Replication is asynchronous: a row committed on the primary reaches a replica
a moment later. Tests that write and then read through a replica first wait
until the replicas have applied the primary's GTID position. They wait on
connections of their own, so the waits never show up in the application's
query log or in ``django_assert_num_queries``.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from django.conf import settings
from django.db import connections

REPLICAS = ("replica1", "replica2")
ON_MYSQL = "mysql" in settings.DATABASES["primary"]["ENGINE"]
WAIT_SECONDS = 10

_local = threading.local()


def raw_connection(alias: str):
    """A driver connection of this thread's own to ``alias`` (test database)."""
    cache = _local.__dict__.setdefault("connections", {})
    if alias not in cache:
        wrapper = connections[alias]
        connection = wrapper.get_new_connection(wrapper.get_connection_params())
        connection.autocommit(True)
        cache[alias] = connection
    return cache[alias]


def query_one(alias: str, sql: str, params: tuple = ()):
    """One row from ``alias``; reconnects once if the server was restarted meanwhile."""
    lost_connection = connections[alias].Database.OperationalError
    for attempt in (1, 2):
        try:
            with raw_connection(alias).cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()
        except lost_connection:
            _local.__dict__.get("connections", {}).pop(alias, None)
            if attempt == 2:
                raise
    return None


def primary_position() -> str:
    return query_one("primary", "SELECT @@gtid_binlog_pos")[0]


def wait_for_replicas(replicas: tuple[str, ...] = REPLICAS, timeout: float = WAIT_SECONDS) -> None:
    """Block until ``replicas`` have applied everything the primary has committed."""
    if not ON_MYSQL:
        return
    position = primary_position()
    for replica in replicas:
        (result,) = query_one(replica, "SELECT MASTER_GTID_WAIT(%s, %s)", (position, timeout))
        if result != 0:
            raise AssertionError(f"{replica} did not reach GTID {position} within {timeout} s")


def free_port() -> int:
    """A port nothing listens on (for provoking connection failures)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def topology():
    """The test topology (MySQL only): run SQL as root, change replica delay."""
    from topology.topology import Topology

    return Topology.load(Path(os.environ["TOPOLOGY_HOME"]))
