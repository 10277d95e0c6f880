"""``python -m topology up|down|status|env``: the local MySQL topology from the command line.

The server is MariaDB or Oracle MySQL: ``MYSQLD`` names its binary, else the
first found (see topology.binaries); the topology remembers it.

A topology keeps the ports it was created with (saved in ``topology.json``).
``up`` moves a server to the port its DB_*_PORT variable names only while that
server is stopped; ``down``, ``status`` and ``env`` always use the saved ports.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from topology.binaries import MissingServer
from topology.ports import Move, moves_between, requested_ports, resolve_ports
from topology.server import TopologyError
from topology.topology import Topology, format_status, saved_ports

# The folder `make db-up` uses: commands suggested for it are make targets.
DEFAULT_HOME = Path("var/mysql")


def delay_from_environment() -> int | None:
    raw = os.environ.get("REPLICA_DELAY", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise TopologyError(f"REPLICA_DELAY={raw!r} is not a whole number of seconds.")
    return int(raw)


# Ports ------------------------------------------------------------------------------


def topology_command(verb: str, home: Path) -> str:
    """How the user runs ``verb`` (up, down) on the topology in ``home``."""
    if home.resolve() == DEFAULT_HOME.resolve():
        return f"make db-{verb}"
    return f".venv/bin/python -m topology {verb} --home {shlex.quote(str(home))}"


def move_command(moves: list[Move], home: Path) -> str:
    assignments = " ".join(move.assignment for move in moves)
    return f"{topology_command('down', home)} && {assignments} {topology_command('up', home)}"


def refuse_moving_running_servers(home: Path, saved: dict[str, int], moves: list[Move]) -> None:
    """A running server cannot change port: its replicas and the env file would point at the wrong one."""
    current = Topology(home, saved)
    running = [move for move in moves if current.servers[move.server].pid() is not None]
    if not running:
        return
    clauses = "; ".join(
        f"{move.server} is running on port {move.saved}, and {move.assignment} asks to move it" for move in running
    )
    keep = " and ".join(move.variable for move in running)
    raise TopologyError(
        f"{clauses}. A running server cannot move, so nothing was changed. "
        f"To move it: `{move_command(moves, home)}`. To keep the current ports, unset {keep}."
    )


def topology_for_up(home: Path, environ: Mapping[str, str]) -> tuple[Topology, list[Move]]:
    """The saved topology (or a new one), moved where the DB_*_PORT variables ask and it is stopped."""
    saved = saved_ports(home)
    ports = resolve_ports(saved, requested_ports(environ))
    moves = moves_between(saved, ports)
    if saved is not None:
        refuse_moving_running_servers(home, saved, moves)
    return Topology(home, ports), moves


def topology_as_saved(home: Path, environ: Mapping[str, str]) -> tuple[Topology, list[Move]]:
    """The topology on its saved ports, and the DB_*_PORT requests this therefore ignores.

    ``down``, ``status`` and ``env`` never move anything; a new topology (nothing
    saved yet) uses the variables, or the defaults, as ``up`` will.
    """
    saved = saved_ports(home)
    requested = requested_ports(environ)
    if saved is None:
        return Topology(home, resolve_ports(None, requested)), []
    ignored = [move for move in moves_between(saved, {**saved, **requested}) if move.server in requested]
    return Topology(home, saved), ignored


def ignored_requests_warning(ignored: list[Move], home: Path) -> str:
    assignments = " ".join(move.assignment for move in ignored)
    kept = ", ".join(f"{move.server} on {move.saved}" for move in ignored)
    return (
        f"warning: {assignments} ignored: the topology in {home} keeps its saved ports ({kept}). "
        f"To move it: `{move_command(ignored, home)}`."
    )


# Commands ---------------------------------------------------------------------------


def up(home: Path) -> None:
    topology, moves = topology_for_up(home, os.environ)
    for move in moves:
        print(f"db-up: moving {move.server} from port {move.saved} to {move.requested}")
    print(f"Server: {topology.binaries.server_name} ({topology.binaries.server})")
    for line in topology.up(replica_delay=delay_from_environment()):
        print(f"db-up: {line}")
    print(format_status(topology.status()))
    print(f"\nConnection settings: {topology.env_file}")
    print(f"Use them: ENV_FILE={topology.env_file} .venv/bin/python manage.py dbdoctor")


def on_saved_ports(command: str, home: Path) -> None:
    topology, ignored = topology_as_saved(home, os.environ)
    if ignored:
        print(ignored_requests_warning(ignored, home), file=sys.stderr)
    if command == "down":
        print("\n".join(topology.down()) or "Nothing was running.")
        print(f"Data kept in {topology.home}; `{topology_command('up', home)}` starts it again.")
    elif command == "status":
        print(f"Server: {topology.binaries.server_name} ({topology.binaries.server})")
        print(format_status(topology.status()))
    else:
        print(topology.env_file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m topology", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="folder of the topology")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up(args.home)
        else:
            on_saved_ports(args.command, args.home)
    except (MissingServer, TopologyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
