"""Which ports a topology uses: the ones it was created with, unless the user moves it.

The DB_*_PORT variables choose the ports of a new topology. Once
``topology.json`` exists, its ports are the topology's: an unset variable keeps
the saved port, so a one-off ``DB_PRIMARY_PORT=3317 make db-up`` is not undone
by the next plain ``make db-up``. A variable set to another port asks to move
that server; the command line allows it only while the server is stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from topology.server import TopologyError
from topology.topology import DEFAULT_PORTS

PORT_VARIABLES = {"primary": "DB_PRIMARY_PORT", "replica1": "DB_REPLICA1_PORT", "replica2": "DB_REPLICA2_PORT"}
LOWEST_PORT, HIGHEST_PORT = 1024, 65535


@dataclass(frozen=True)
class Move:
    """A request to put one server on another port than the saved one."""

    server: str
    saved: int
    requested: int

    @property
    def variable(self) -> str:
        return PORT_VARIABLES[self.server]

    @property
    def assignment(self) -> str:
        return f"{self.variable}={self.requested}"


def parse_port(variable: str, raw: str) -> int:
    if not raw.isdigit() or not LOWEST_PORT <= int(raw) <= HIGHEST_PORT:
        raise TopologyError(f"{variable}={raw!r} is not a port number from {LOWEST_PORT} to {HIGHEST_PORT}.")
    return int(raw)


def requested_ports(environ: Mapping[str, str]) -> dict[str, int]:
    """The ports the user asks for: one per DB_*_PORT variable that is set (blank counts as unset)."""
    requested = {}
    for name, variable in PORT_VARIABLES.items():
        raw = environ.get(variable, "").strip()
        if raw:
            requested[name] = parse_port(variable, raw)
    return requested


def resolve_ports(saved: Mapping[str, int] | None, requested: Mapping[str, int]) -> dict[str, int]:
    """The saved ports (the defaults for a new topology), with the requested ones in their place."""
    base = saved or DEFAULT_PORTS
    ports = {name: requested.get(name, base[name]) for name in DEFAULT_PORTS}
    if len(set(ports.values())) != len(ports):
        raise TopologyError(f"The three ports must differ: {ports}.")
    return ports


def moves_between(saved: Mapping[str, int] | None, ports: Mapping[str, int]) -> list[Move]:
    """The servers whose port would change; none for a new topology, which has nothing to move."""
    if saved is None:
        return []
    return [Move(name, saved[name], ports[name]) for name in DEFAULT_PORTS if ports[name] != saved[name]]
