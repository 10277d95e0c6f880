"""The engines the benchmark runs on, each as private as the test suites' servers.

- ``sqlite``: the embedded default (replicas are read-only connections to the primary's file); always there.
- ``mysql``: a MariaDB primary and two GTID replicas, in a temporary folder on free ports
  (``topology.topology.Topology``).
- ``postgresql``: a PostgreSQL primary and two streaming hot standbys, in a temporary folder on
  free ports (``topology.pg.cluster.Cluster``).

A full run's default selection is every engine whose servers are installed; one
whose servers are not is skipped with the reason. A quick run's default is
SQLite alone. ``BENCH_ENGINES=sqlite,mysql,postgresql`` chooses; an engine named
there that cannot run is an error, not a skip: it was asked for.

Starting an engine yields a :class:`Running`: the service's environment for it,
and ``settle()``, run once the data are seeded: it returns once every replica
has applied what the primary has written (the benchmark seeds on the primary,
then reads from the replicas). On PostgreSQL it first runs VACUUM ANALYZE, so
that every configuration reads tables with planner statistics and a visibility
map from its first round on, not from whenever autovacuum gets to them.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ENGINES = ("sqlite", "mysql", "postgresql")
LABELS = {"sqlite": "SQLite", "mysql": "MariaDB", "postgresql": "PostgreSQL"}
DESCRIPTIONS = {
    "sqlite": "one file; the replicas are read-only connections to it",
    "mysql": "a private primary and two GTID replicas on this machine",
    "postgresql": "a private primary and two streaming hot standbys on this machine",
}
# Not in a quick run's default selection: starting servers takes longer than the run.
NEEDS_SERVERS = ("mysql", "postgresql")
CATCH_UP_TIMEOUT_SECONDS = 60
# libpq reads PGHOST, PGOPTIONS, PGTARGETSESSIONATTRS...: a developer's own must not reach the benchmark.
_LIBPQ_VARIABLE = re.compile(r"PG[A-Z]")


class Unavailable(RuntimeError):
    """An engine that cannot run on this machine; the message says why (and how to install it)."""


class SelectionError(ValueError):
    """BENCH_ENGINES names an unknown engine, or one that cannot run here."""


def label(engine: str) -> str:
    """How reports name an engine: SQLite, MariaDB, PostgreSQL."""
    return LABELS.get(engine, engine)


@dataclass(frozen=True)
class Running:
    environment: dict[str, str]  # the service's, for this engine's servers
    settle: Callable[[], None] = field(default=lambda: None)  # after seeding: returns once the replicas have it all


# Facts: what an engine runs on, or why it cannot run -------------------------------------


def facts(engine: str) -> dict[str, str]:
    """The versions an engine's figures depend on; :class:`Unavailable` when it cannot run here."""
    if engine == "sqlite":
        return {"SQLite": sqlite3.sqlite_version}
    if engine == "mysql":
        return _mysql_facts()
    if engine == "postgresql":
        return _postgresql_facts()
    raise SelectionError(f"BENCH_ENGINES: unknown engine {engine!r}; choose from {', '.join(ENGINES)}.")


def _mysql_facts() -> dict[str, str]:
    from project.mysql_driver import select_driver
    from topology.binaries import MissingServer, find_binaries

    try:
        version = find_binaries().version
    except MissingServer as error:
        raise Unavailable(str(error)) from None
    driver = select_driver(os.environ.get("MYSQL_DRIVER", ""))
    if driver.name is None:
        raise Unavailable(driver.missing_message())
    match = re.search(r"Ver\s+([\d.]+)", version)
    return {"MariaDB": match.group(1) if match else version, driver.name: driver.version}


def _postgresql_facts() -> dict[str, str]:
    from project.databases import missing_postgresql_driver
    from topology.pg.account import server_account
    from topology.pg.binaries import MissingPostgres, find_binaries
    from topology.pg.errors import ClusterError

    try:
        binaries = find_binaries()
        server_account()  # as root: the `postgres` account and runuser, or the reason why not
    except (MissingPostgres, ClusterError) as error:
        raise Unavailable(str(error)) from None
    problem = missing_postgresql_driver()
    if problem is not None:
        raise Unavailable(problem)
    match = re.search(r"\(PostgreSQL\)\s+(\S+)", binaries.version)
    return {
        "PostgreSQL": match.group(1) if match else binaries.version,
        "psycopg": importlib.metadata.version("psycopg"),
    }


@dataclass
class Selection:
    engines: list[str]
    facts: dict[str, str]  # the versions of the engines that will run
    skipped: dict[str, str]  # engine: why it was left out of the default selection


def select(requested: str, quick: bool, probe: Callable[[str], dict[str, str]] = facts) -> Selection:
    """The engines to run, from BENCH_ENGINES (``requested``) or the defaults."""
    names = [name.strip().lower() for name in requested.split(",") if name.strip()]
    explicit = bool(names)
    if not explicit:
        names = ["sqlite"] if quick else list(ENGINES)
    unknown = [name for name in names if name not in ENGINES]
    if unknown:
        raise SelectionError(f"BENCH_ENGINES names {', '.join(map(repr, unknown))}; choose from {', '.join(ENGINES)}.")
    selection = Selection([], {}, {})
    for name in dict.fromkeys(names):  # in order, once each
        try:
            found = probe(name)
        except Unavailable as error:
            if explicit:
                raise SelectionError(f"BENCH_ENGINES names {name}, which cannot run here: {error}") from None
            selection.skipped[name] = str(error)
            continue
        selection.engines.append(name)
        selection.facts.update(found)
    return selection


# Starting an engine ------------------------------------------------------------------------


def base_environment(log_dir: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("_DATABASE_URL") and not _LIBPQ_VARIABLE.match(key)
    }
    environment.update(
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-key-not-for-production-use-0123456789",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # No DB_CONN_MAX_AGE: every configuration gets what a deployment gets
        # without setting it (DEBUG off: persistent connections, health checks).
        LOG_LEVEL="WARNING",
        ENV_FILE=str(log_dir / "no-dotenv"),
        BENCH_LOG_DIR=str(log_dir),
        DEMO_USER="",
        DEMO_PASSWORD="",
        # The create scenario writes as fast as it can: measure routing, not the throttle.
        WRITE_THROTTLE_RATE="100000000/min",
    )
    return environment


def start(engine: str, work: Path) -> contextlib.AbstractContextManager[Running]:
    return {"sqlite": sqlite_engine, "mysql": mysql_engine, "postgresql": postgresql_engine}[engine](work)


@contextlib.contextmanager
def sqlite_engine(work: Path) -> Iterator[Running]:
    folder = work / "sqlite"
    shutil.rmtree(folder, ignore_errors=True)
    environment = base_environment(work)
    environment["VAR_DIR"] = str(folder)
    yield Running(environment)  # the replicas open the primary's file: nothing to wait for


@contextlib.contextmanager
def mysql_engine(work: Path) -> Iterator[Running]:
    from topology.suite import free_ports
    from topology.topology import DEFAULT_PORTS, Topology

    home = Path(tempfile.mkdtemp(prefix="routing-bench-"))
    topology = Topology(home, dict(zip(DEFAULT_PORTS, free_ports(3), strict=True)))
    try:
        topology.up()
        environment = base_environment(work)
        environment.update(topology.urls())
        environment["VAR_DIR"] = str(work / "mysql")
        yield Running(environment, lambda: _mysql_caught_up(topology))
    finally:
        topology.down()
        shutil.rmtree(home, ignore_errors=True)


def _mysql_caught_up(topology, timeout: float = CATCH_UP_TIMEOUT_SECONDS) -> None:
    """Every replica has applied the primary's GTID position."""
    position = topology.primary_position()
    for replica in topology.replicas:
        if not topology.wait_for_position(replica.name, position, timeout):
            raise RuntimeError(
                f"{replica.name} did not reach the primary's GTID position {position} within {timeout:g} s; "
                f"the benchmark would read stale data there. See {replica.log_file}"
            )
    print(f"  replicas caught up with the primary (GTID {position})", flush=True)


@contextlib.contextmanager
def postgresql_engine(work: Path) -> Iterator[Running]:
    from topology.pg.cluster import Cluster
    from topology.pg.ports import SERVER_NAMES
    from topology.suite import free_ports

    home = Path(tempfile.mkdtemp(prefix="routing-bench-pg-"))
    cluster = Cluster(home, dict(zip(SERVER_NAMES, free_ports(len(SERVER_NAMES)), strict=True)))
    try:
        cluster.up()
        environment = base_environment(work)
        environment.update(cluster.urls())
        environment["VAR_DIR"] = str(work / "postgresql")
        yield Running(environment, lambda: _postgresql_settle(cluster))
    finally:
        cluster.down()
        shutil.rmtree(home, ignore_errors=True)


def _postgresql_settle(cluster, timeout: float = CATCH_UP_TIMEOUT_SECONDS) -> None:
    """VACUUM ANALYZE on the primary, then wait until every standby has replayed the WAL it flushed."""
    from topology.pg.urls import AUTH_DATABASE, DATA_DATABASE

    for database in (DATA_DATABASE, AUTH_DATABASE):
        cluster.admin_sql(cluster.primary_name, "VACUUM ANALYZE;", database=database)
    _postgresql_caught_up(cluster, timeout)


def _postgresql_caught_up(cluster, timeout: float) -> None:
    """Every standby has replayed the WAL the primary has flushed (pg_last_wal_replay_lsn >= the flush LSN)."""
    target = cluster.admin_sql(cluster.primary_name, "SELECT pg_current_wal_flush_lsn();").strip()
    deadline = time.monotonic() + timeout
    for standby in cluster.standbys:
        while True:
            reached, replayed = (
                cluster.admin_sql(
                    standby.name,
                    f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn, pg_last_wal_replay_lsn();",
                )
                .rstrip("\n")
                .split("\t")
            )
            if reached == "t":
                break
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"{standby.name} has replayed the WAL to {replayed or 'nowhere'}, not to the primary's {target}, "
                    f"{timeout:g} s after seeding; the benchmark would read stale data there. "
                    f"Its log says:\n{standby.log_tail()}"
                )
            time.sleep(0.05)
    print(f"  standbys caught up with the primary (replayed to WAL position {target})", flush=True)
