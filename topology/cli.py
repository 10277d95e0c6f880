"""``python -m topology up|down|status``: the local MariaDB topology from the command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from topology.binaries import MissingServer
from topology.server import TopologyError
from topology.topology import DEFAULT_PORTS, Topology, format_status

PORT_VARIABLES = {"primary": "DB_PRIMARY_PORT", "replica1": "DB_REPLICA1_PORT", "replica2": "DB_REPLICA2_PORT"}


def ports_from_environment() -> dict[str, int]:
    ports = {}
    for name, variable in PORT_VARIABLES.items():
        raw = os.environ.get(variable, "").strip() or str(DEFAULT_PORTS[name])
        if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
            raise TopologyError(f"{variable}={raw!r} is not a port number from 1024 to 65535.")
        ports[name] = int(raw)
    if len(set(ports.values())) != len(ports):
        raise TopologyError(f"The three ports must differ: {ports}.")
    return ports


def delay_from_environment() -> int | None:
    raw = os.environ.get("REPLICA_DELAY", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise TopologyError(f"REPLICA_DELAY={raw!r} is not a whole number of seconds.")
    return int(raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m topology", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    parser.add_argument("--home", type=Path, default=Path("var/mysql"), help="folder of the topology")
    args = parser.parse_args(argv)
    try:
        topology = Topology(args.home, ports_from_environment())
        if args.command == "up":
            for line in topology.up(replica_delay=delay_from_environment()):
                print(f"db-up: {line}")
            print(format_status(topology.status()))
            print(f"\nConnection settings: {topology.env_file}")
            print(f"Use them: ENV_FILE={topology.env_file} .venv/bin/python manage.py dbdoctor")
        elif args.command == "down":
            print("\n".join(topology.down()) or "Nothing was running.")
            print(f"Data kept in {topology.home}; `make db-up` starts it again.")
        elif args.command == "status":
            print(format_status(topology.status()))
        else:
            print(topology.env_file)
    except (MissingServer, TopologyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
