"""Deciding where a request's reads go.

Pure functions of the method, the override and the settings: no I/O, so the
decision is cheap and easy to test.
"""

from __future__ import annotations

import random

from routing import reasons
from routing.conf import ANY_REPLICA, PRIMARY, routing_settings
from routing.overrides import Override, OverrideRejected
from routing.state import Route

# As Django REST framework counts them: TRACE is not one.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def pick_replica() -> tuple[str, str]:
    """One replica at random, or the primary when none is configured."""
    replicas = routing_settings.replicas
    if not replicas:
        return routing_settings.primary, reasons.NO_REPLICAS
    return random.choice(replicas), reasons.REPLICA_PICK  # noqa: S311 - spreads load, guards nothing


def resolve(value: str) -> str:
    """Turn an override value (``primary``, ``replica``, ``replica1``) into an alias."""
    if value == PRIMARY:
        return routing_settings.primary
    if value == ANY_REPLICA:
        return pick_replica()[0]
    return value


def route_request(method: str, override: Override | None) -> Route:
    """The route of one request: chosen once, used by every read it makes.

    Raises :class:`OverrideRejected` when the override asks for something the
    request may not have; the caller turns it into a 400.
    """
    safe = method in SAFE_METHODS
    if override is not None:
        if not safe and override.value != PRIMARY:
            raise OverrideRejected.replica_write(override, method)
        if override.value == ANY_REPLICA:
            alias, reason = pick_replica()
            # With no replica configured, say so instead of naming the header.
            return Route(alias, override.source if reason == reasons.REPLICA_PICK else reason)
        return Route(resolve(override.value), override.source)
    if not safe:
        return Route(routing_settings.primary, reasons.UNSAFE_METHOD)
    return Route(*pick_replica())
