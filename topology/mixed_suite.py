"""Run the test suite on the mixed deployment: data on PostgreSQL, users on MariaDB.

``python -m topology.mixed_suite [pytest arguments]`` starts a private
PostgreSQL primary with two standbys and a private MariaDB primary with two
replicas (temporary folders, free ports), points the data aliases at
PostgreSQL and the auth aliases at MariaDB, as ``make run-mixed`` does, and
runs the suite (or the given pytest arguments) there. Without either
engine's server programs it is skipped with the reason, unless ``CI=true``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from topology.binaries import MissingServer
from topology.binaries import find_binaries as find_mariadb
from topology.mixed import AUTH_VARIABLES
from topology.pg.account import server_account
from topology.pg.binaries import find_binaries as find_postgres
from topology.pg.cluster import Cluster
from topology.pg.errors import ClusterError
from topology.pg.ports import SERVER_NAMES
from topology.pg.suite import make_fast, suite_environment
from topology.server import TopologyError
from topology.suite import free_ports, in_ci
from topology.topology import DEFAULT_PORTS, Topology

# The whole suite but tests/postgresql/, whose tests expect the auth database on
# the PostgreSQL cluster too: the API's contract must hold when the author of an
# article lives on another engine.
DEFAULT_ARGS = ["--ignore=tests/postgresql"]


def main(pytest_args: list[str]) -> int:
    try:
        mariadb, postgres = find_mariadb(), find_postgres()
        server_account()
    except (MissingServer, ClusterError) as error:
        if in_ci():
            print(f"Mixed suite FAILED to start: {error}\nCI=true requires it.", file=sys.stderr)
            return 1
        print(f"\n*** Mixed suite SKIPPED: {error}\n")
        return 0

    home = Path(tempfile.mkdtemp(prefix="routing-mixed-"))
    home.chmod(0o711)  # the account that runs PostgreSQL must pass through to its own folder
    ports = iter(free_ports(len(SERVER_NAMES) + len(DEFAULT_PORTS)))
    cluster = Cluster(home / "postgres", {name: next(ports) for name in SERVER_NAMES})
    topology = Topology(home / "mysql", {name: next(ports) for name in DEFAULT_PORTS})
    try:
        print("Mixed suite: articles on PostgreSQL, auth_db on MariaDB", flush=True)
        try:
            cluster.up(binaries=postgres)
            make_fast(cluster)
            topology.up(binaries=mariadb)
        except TopologyError as error:
            print(f"Mixed suite FAILED to start its servers: {error}", file=sys.stderr)
            return 1
        environment = suite_environment(cluster, home / "postgres")
        # The auth aliases from MariaDB; the data aliases stay PostgreSQL's.
        mariadb_urls = topology.urls()
        environment.update({name: mariadb_urls[name] for name, _ in AUTH_VARIABLES})
        environment["VAR_DIR"] = str(home / "var")
        return subprocess.call([sys.executable, "-m", "pytest", *(pytest_args or DEFAULT_ARGS)], env=environment)
    finally:
        topology.down()
        cluster.down()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
