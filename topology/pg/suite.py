"""Run the test suite against a private PostgreSQL cluster.

``python -m topology.pg.suite [pytest arguments]`` starts a primary and two
streaming hot standbys in a temporary folder on free ports (never a
developer's ``make pg-up`` servers, never the machine's own 5432), runs pytest
with the database URLs pointing at them, then stops the servers and deletes
the folder: the PostgreSQL twin of ``python -m topology.suite``.

Without the PostgreSQL server programs (or an account to run them as root)
the suite is skipped with the reason, unless ``CI=true``: then it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from topology.pg.account import server_account
from topology.pg.binaries import MissingPostgres, PgBinaries, find_binaries
from topology.pg.cluster import Cluster
from topology.pg.errors import ClusterError
from topology.pg.ports import SERVER_NAMES
from topology.suite import free_ports, in_ci


def short_version(binaries: PgBinaries) -> str:
    """The server's name and version: PostgreSQL 15.20 for "postgres (PostgreSQL) 15.20 (Debian ...)"."""
    match = re.search(r"\(PostgreSQL\)\s+(\S+)", binaries.version)
    return f"PostgreSQL {match.group(1)}" if match else binaries.version or "PostgreSQL (unknown version)"


# A throwaway cluster: no fsync, as Django's documentation advises for test
# databases (data survive a server crash, only not a machine crash). Commits
# still wait for their WAL to be flushed, so replication positions and
# durability mean what they mean in production: only the disk sync is skipped,
# which makes each test's TRUNCATE clean-up about a quarter faster.
FAST_SETTINGS_SQL = """
ALTER SYSTEM SET fsync = off;
ALTER SYSTEM SET full_page_writes = off;
SELECT pg_reload_conf();
"""


def make_fast(cluster: Cluster) -> None:
    for name in SERVER_NAMES:
        cluster.admin_sql(name, FAST_SETTINGS_SQL)


def suite_environment(cluster: Cluster, home: Path) -> dict[str, str]:
    # libpq reads PGHOST, PGTARGETSESSIONATTRS, PGOPTIONS...: a developer's own
    # must not reach the suite's connections (the project's PG_* variables may).
    inherited = {name: value for name, value in os.environ.items() if not re.match(r"PG[A-Z]", name)}
    return {
        **inherited,
        **cluster.urls(),
        "TOPOLOGY_HOME": str(home),
        "VAR_DIR": str(home / "var"),
        "ENV_FILE": str(home / "no-dotenv"),  # a developer's .env must not leak in
    }


def main(pytest_args: list[str]) -> int:
    try:
        binaries = find_binaries()
        server_account()  # as root: the `postgres` account and runuser, or the reason why not
    except (MissingPostgres, ClusterError) as error:
        if in_ci():
            print(f"PostgreSQL suite FAILED to start: {error}\nCI=true requires it.", file=sys.stderr)
            return 1
        print(f"\n*** PostgreSQL suite SKIPPED: {error}\n")
        return 0

    home = Path(tempfile.mkdtemp(prefix="routing-pg-"))
    cluster = Cluster(home, dict(zip(SERVER_NAMES, free_ports(len(SERVER_NAMES)), strict=True)))
    try:
        ports = ", ".join(str(cluster.ports[name]) for name in SERVER_NAMES)
        print(f"PostgreSQL suite: {short_version(binaries)}; servers on ports {ports}", flush=True)
        try:
            cluster.up(binaries=binaries)
            make_fast(cluster)
        except ClusterError as error:
            print(f"PostgreSQL suite FAILED to start the cluster: {error}", file=sys.stderr)
            return 1
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=suite_environment(cluster, home))
    finally:
        cluster.down()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
