"""``python -m topology.pg up|down|status|env|failover``: the local PostgreSQL cluster from the command line.

A cluster keeps the ports it was created with (saved in ``topology.json``).
``up`` moves a server to the port its PG_*_PORT variable names only while that
server is stopped; ``down``, ``status``, ``env`` and ``failover`` always use
the saved ports. REPLICA_DELAY=N makes replica2 apply commits N seconds late
(0 removes the delay).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from topology.pg.binaries import MissingPostgres, find_binaries
from topology.pg.cluster import Cluster, saved_ports
from topology.pg.errors import ClusterError
from topology.pg.ports import SERVER_NAMES, Move, moves_between, requested_ports, resolve_ports
from topology.pg.report import format_status
from topology.server import TopologyError

# The folder `make pg-up` uses: commands suggested for it are make targets.
DEFAULT_HOME = Path("var/postgres")


def delay_from_environment(environ: Mapping[str, str]) -> int | None:
    raw = environ.get("REPLICA_DELAY", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ClusterError(f"REPLICA_DELAY={raw!r} is not a whole number of seconds.")
    return int(raw)


def cluster_command(verb: str, home: Path) -> str:
    """How the user runs ``verb`` (up, down, ...) on the cluster in ``home``."""
    if home.resolve() == DEFAULT_HOME.resolve():
        return f"make pg-{verb}"
    return f".venv/bin/python -m topology.pg {verb} --home {shlex.quote(str(home))}"


def move_command(moves: list[Move], home: Path) -> str:
    assignments = " ".join(move.assignment for move in moves)
    return f"{cluster_command('down', home)} && {assignments} {cluster_command('up', home)}"


def cluster_for_up(home: Path, environ: Mapping[str, str]) -> tuple[Cluster, list[Move]]:
    """The saved cluster (or a new one), moved where the PG_*_PORT variables ask, if those servers are stopped."""
    saved = saved_ports(home)
    ports = resolve_ports(saved, requested_ports(environ))
    moves = moves_between(saved, ports)
    if saved is not None:
        current = Cluster(home, saved)
        running = [move for move in moves if current.servers[move.server].pid() is not None]
        if running:
            clauses = "; ".join(
                f"{move.server} is running on port {move.saved}, and {move.assignment} asks to move it"
                for move in running
            )
            keep = " and ".join(move.variable for move in running)
            raise ClusterError(
                f"{clauses}. A running server cannot move, so nothing was changed. "
                f"To move it: `{move_command(moves, home)}`. To keep the current ports, unset {keep}."
            )
    return Cluster(home, ports), moves


def cluster_as_saved(home: Path, environ: Mapping[str, str]) -> tuple[Cluster, list[Move]]:
    """The cluster on its saved ports, and the PG_*_PORT requests this therefore ignores."""
    saved = saved_ports(home)
    requested = requested_ports(environ)
    if saved is None:
        return Cluster(home, resolve_ports(None, requested)), []
    ignored = [move for move in moves_between(saved, {**saved, **requested}) if move.server in requested]
    return Cluster(home, saved), ignored


def ignored_requests_warning(ignored: list[Move], home: Path) -> str:
    assignments = " ".join(move.assignment for move in ignored)
    kept = ", ".join(f"{move.server} on {move.saved}" for move in ignored)
    return (
        f"warning: {assignments} ignored: the cluster in {home} keeps its saved ports ({kept}). "
        f"To move it: `{move_command(ignored, home)}`."
    )


def print_connection_settings(cluster: Cluster) -> None:
    print(f"\nConnection settings: {cluster.env_file}")
    print(f"Use them: ENV_FILE={cluster.env_file} .venv/bin/python manage.py dbdoctor")


def up(home: Path, environ: Mapping[str, str]) -> None:
    delay = delay_from_environment(environ)
    cluster, moves = cluster_for_up(home, environ)
    for move in moves:
        print(f"pg-up: moving {move.server} from port {move.saved} to {move.requested}")
    for line in cluster.up(replica_delay=delay):
        print(f"pg-up: {line}")
    print(format_status(cluster.status()))
    print_connection_settings(cluster)


def on_saved_ports(command: str, home: Path, environ: Mapping[str, str], target: str | None) -> None:
    cluster, ignored = cluster_as_saved(home, environ)
    if ignored:
        print(ignored_requests_warning(ignored, home), file=sys.stderr)
    if command == "down":
        print("\n".join(cluster.down()) or "Nothing was running.")
        print(f"Data kept in {cluster.home}; `{cluster_command('up', home)}` starts it again.")
    elif command == "status":
        print(format_status(cluster.status()))
    elif command == "failover":
        if saved_ports(home) is None:
            raise ClusterError(f"No PostgreSQL cluster in {home}: `{cluster_command('up', home)}` makes one.")
        for line in cluster.failover(target):
            print(f"pg-failover: {line}")
        print(format_status(cluster.status()))
        print_connection_settings(cluster)
    else:
        print(cluster.env_file)


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m topology.pg", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "env", "failover"])
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="folder of the cluster")
    parser.add_argument(
        "--to", choices=SERVER_NAMES, default=None, help="failover: the standby to promote (default: replica1)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command != "env":
            # Before anything else: without the server programs, the install command is the whole answer.
            find_binaries(environ)
        if args.command == "up":
            up(args.home, environ)
        else:
            on_saved_ports(args.command, args.home, environ, args.to)
    except (MissingPostgres, TopologyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
