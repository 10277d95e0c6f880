"""The pure part of routing a request: which methods are safe, and what an override may ask for.

No I/O: routing.resolution adds what needs the databases (health, positions,
the primary's connection) and makes the one decision per request.
"""

from __future__ import annotations

from routing.conf import PRIMARY, routing_settings
from routing.overrides import Override, OverrideRejected

# As Django REST framework counts them: TRACE is not one.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_replica_write(method: str, override: Override) -> None:
    """A write sent to a replica is refused (400) before anything runs, for every client, staff too."""
    if method not in SAFE_METHODS and override.value != PRIMARY:
        raise OverrideRejected.replica_write(override, method)


def named_alias(value: str) -> str:
    """The alias an override or pin names: ``primary`` (the configured primary) or a replica alias."""
    return routing_settings.primary if value == PRIMARY else value
