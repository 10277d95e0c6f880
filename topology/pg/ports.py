"""Which ports the PostgreSQL cluster uses: the ones it was created with, unless the user moves it.

The same rules as the MariaDB topology's (``topology/ports.py``), with the
``PG_*_PORT`` variables: they choose the ports of a new cluster; once
``topology.json`` exists an unset variable keeps the saved port, and a
variable naming another port moves that server, only while it is stopped.
5432 is never accepted: it is the machine's own PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from topology.pg.errors import ClusterError

SERVER_NAMES = ("primary", "replica1", "replica2")
DEFAULT_PORTS = {"primary": 5433, "replica1": 5434, "replica2": 5435}
PORT_VARIABLES = {"primary": "PG_PRIMARY_PORT", "replica1": "PG_REPLICA1_PORT", "replica2": "PG_REPLICA2_PORT"}
LOWEST_PORT, HIGHEST_PORT = 1024, 65535
SYSTEM_PORT = 5432


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
        raise ClusterError(f"{variable}={raw!r} is not a port number from {LOWEST_PORT} to {HIGHEST_PORT}.")
    if int(raw) == SYSTEM_PORT:
        raise ClusterError(
            f"{variable}={SYSTEM_PORT} is the machine's own PostgreSQL port, which the project never uses. "
            "Choose another, e.g. the default (unset it)."
        )
    return int(raw)


def requested_ports(environ: Mapping[str, str]) -> dict[str, int]:
    """The ports the user asks for: one per PG_*_PORT variable that is set (blank counts as unset)."""
    requested = {}
    for name, variable in PORT_VARIABLES.items():
        raw = environ.get(variable, "").strip()
        if raw:
            requested[name] = parse_port(variable, raw)
    return requested


def resolve_ports(saved: Mapping[str, int] | None, requested: Mapping[str, int]) -> dict[str, int]:
    """The saved ports (the defaults for a new cluster), with the requested ones in their place."""
    base = saved or DEFAULT_PORTS
    ports = {name: requested.get(name, base[name]) for name in SERVER_NAMES}
    if len(set(ports.values())) != len(ports):
        raise ClusterError(f"The three ports must differ: {ports}.")
    return ports


def moves_between(saved: Mapping[str, int] | None, ports: Mapping[str, int]) -> list[Move]:
    """The servers whose port would change; none for a new cluster, which has nothing to move."""
    if saved is None:
        return []
    return [Move(name, saved[name], ports[name]) for name in SERVER_NAMES if ports[name] != saved[name]]
