"""Which ports a topology uses: the ones it was created with, unless the user moves it.

The DB_*_PORT variables choose the ports of a new topology. Once
``topology.json`` exists, its ports are the topology's: an unset variable keeps
the saved port, so a one-off ``DB_PRIMARY_PORT=3317 make db-up`` is not undone
by the next plain ``make db-up``. A variable set to another port asks to move
that server; the command line allows it only while the server is stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

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

    # Each topology's own variables (a subclass sets its own).
    variables: ClassVar[Mapping[str, str]] = PORT_VARIABLES

    @property
    def variable(self) -> str:
        return self.variables[self.server]

    @property
    def assignment(self) -> str:
        return f"{self.variable}={self.requested}"


@dataclass(frozen=True)
class PortRules:
    """The port rules of one kind of topology: its variables, defaults, refusals and errors.

    The MariaDB and the PostgreSQL topologies follow the same rules with their
    own variables (``DB_*_PORT``, ``PG_*_PORT``).
    """

    variables: Mapping[str, str]
    defaults: Mapping[str, int]
    move: type[Move]
    error: type[Exception]
    # Ports never accepted, and why (the machine's own server's).
    reserved: Mapping[int, str] = field(default_factory=dict)

    def parse_port(self, variable: str, raw: str) -> int:
        if not raw.isdigit() or not LOWEST_PORT <= int(raw) <= HIGHEST_PORT:
            raise self.error(f"{variable}={raw!r} is not a port number from {LOWEST_PORT} to {HIGHEST_PORT}.")
        if int(raw) in self.reserved:
            raise self.error(f"{variable}={raw} {self.reserved[int(raw)]}")
        return int(raw)

    def requested_ports(self, environ: Mapping[str, str]) -> dict[str, int]:
        """The ports the user asks for: one per port variable that is set (blank counts as unset)."""
        requested = {}
        for name, variable in self.variables.items():
            raw = environ.get(variable, "").strip()
            if raw:
                requested[name] = self.parse_port(variable, raw)
        return requested

    def resolve_ports(self, saved: Mapping[str, int] | None, requested: Mapping[str, int]) -> dict[str, int]:
        """The saved ports (the defaults for a new topology), with the requested ones in their place."""
        base = saved or self.defaults
        ports = {name: requested.get(name, base[name]) for name in self.defaults}
        if len(set(ports.values())) != len(ports):
            raise self.error(f"The three ports must differ: {ports}.")
        return ports

    def moves_between(self, saved: Mapping[str, int] | None, ports: Mapping[str, int]) -> list[Move]:
        """The servers whose port would change; none for a new topology, which has nothing to move."""
        if saved is None:
            return []
        return [self.move(name, saved[name], ports[name]) for name in self.defaults if ports[name] != saved[name]]


MARIADB_PORTS = PortRules(PORT_VARIABLES, DEFAULT_PORTS, Move, TopologyError)
parse_port = MARIADB_PORTS.parse_port
requested_ports = MARIADB_PORTS.requested_ports
resolve_ports = MARIADB_PORTS.resolve_ports
moves_between = MARIADB_PORTS.moves_between
