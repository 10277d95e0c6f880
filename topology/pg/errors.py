"""The one error the PostgreSQL cluster raises for something the user must act on."""

from __future__ import annotations

from topology.server import TopologyError


class ClusterError(TopologyError):
    """Something the user must act on; the message says what.

    A TopologyError, so code written for the MariaDB topology (the CLI's error
    handling, a test's ``pytest.raises``) treats both alike.
    """
