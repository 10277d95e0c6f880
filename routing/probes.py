"""Health probes: a fresh connection of their own, with timeouts, asked one question.

Probes never use the application's connections: a probe of a dead host must
not break a request's connection, and a request's open transaction must not
change what a probe sees. Each engine gives its connect and statement timeouts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import DatabaseError, connections

from routing.conf import routing_settings
from routing.engines import adapter_for
from routing.engines.base import Engine, ReplicaStatus, one_line

T = TypeVar("T")


class ProbeFailed(Exception):
    """The probe could not get an answer; ``reason`` says why, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ask(alias: str, question: Callable[[Engine, object], T]) -> T:
    """``question(engine, cursor)`` on a fresh connection to ``alias``; raises ProbeFailed."""
    wrapper = connections[alias]
    engine = adapter_for(wrapper)
    params = engine.probe_params(wrapper.get_connection_params(), routing_settings.health_timeout)
    try:
        raw = engine.private_connection(wrapper, params)
    except Exception as error:  # any driver's failure to connect
        raise ProbeFailed(f"unreachable: {one_line(error)}") from error
    try:
        with wrapper.wrap_database_errors:
            cursor = raw.cursor()
            try:
                return question(engine, cursor)
            finally:
                cursor.close()
    except DatabaseError as error:
        raise ProbeFailed(f"health check failed: {one_line(error)}") from error
    finally:
        raw.close()


def replica_status(alias: str) -> ReplicaStatus | None:
    """The replica's replication status (None: it replicates from nowhere); raises ProbeFailed."""
    return ask(alias, lambda engine, cursor: engine.replica_status(cursor))


@dataclass(frozen=True)
class WritableProbe:
    reachable: bool
    position: str
    reason: str

    def as_dict(self) -> dict:
        return {"reachable": self.reachable, "position": self.position, "reason": self.reason}


def writable(alias: str) -> WritableProbe:
    """Reachability and replication position of the primary (or the auth database); never raises."""
    try:
        position = ask(alias, lambda engine, cursor: engine.primary_position(cursor))
    except ProbeFailed as failure:
        return WritableProbe(False, "", failure.reason)
    return WritableProbe(True, position, "")
