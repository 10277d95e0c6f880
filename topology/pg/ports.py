"""Which ports the PostgreSQL cluster uses: the ones it was created with, unless the user moves it.

The same rules as the MariaDB topology's (``topology/ports.py``), with the
``PG_*_PORT`` variables: they choose the ports of a new cluster; once
``topology.json`` exists an unset variable keeps the saved port, and a
variable naming another port moves that server, only while it is stopped.
5432 is never accepted: it is the machine's own PostgreSQL.
"""

from __future__ import annotations

from topology import ports
from topology.pg.errors import ClusterError

SERVER_NAMES = ("primary", "replica1", "replica2")
DEFAULT_PORTS = {"primary": 5433, "replica1": 5434, "replica2": 5435}
PORT_VARIABLES = {"primary": "PG_PRIMARY_PORT", "replica1": "PG_REPLICA1_PORT", "replica2": "PG_REPLICA2_PORT"}
SYSTEM_PORT = 5432


class Move(ports.Move):
    variables = PORT_VARIABLES


RULES = ports.PortRules(
    PORT_VARIABLES,
    DEFAULT_PORTS,
    Move,
    ClusterError,
    reserved={
        SYSTEM_PORT: "is the machine's own PostgreSQL port, which the project never uses. "
        "Choose another, e.g. the default (unset it)."
    },
)
parse_port = RULES.parse_port
requested_ports = RULES.requested_ports
resolve_ports = RULES.resolve_ports
moves_between = RULES.moves_between
