"""Request-scoped routing state.

The state lives in a ``ContextVar``: each thread of a WSGI server and each task
of an ASGI server sees its own value, and ``sync_to_async`` copies it into the
worker thread that runs a sync view. It is only ever set through
:func:`activate`, which restores the previous value on the way out, also when
the body raises, so nothing survives the request that set it (the middleware
uses :func:`enter` and :func:`leave`, the same two steps without a context
manager's three calls, in a ``try``/``finally``).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType

from routing.conf import HotSettings, routing_settings


@dataclass(slots=True)
class AliasStats:
    """What one alias executed during a request."""

    queries: int = 0
    seconds: float = 0.0
    # Each query's seconds, in order, when the log keeps them: the metrics'
    # histogram takes them all at the end of the request, instead of one call
    # into it per query.
    durations: list[float] = field(default_factory=list)


# What a log that noted nothing reads as its reasons (shared, so read-only).
_NO_REASONS: Mapping[str, str] = MappingProxyType({})


class QueryLog:
    """Queries that really ran, per alias, and why they went there.

    Shared by a request's route and every route nested inside it (code-level
    pins), so the response reports all of the request's database work. One is
    made per request: what most requests never set is a class attribute until
    it is set.
    """

    # First reason that sent work to an alias, other than the route's own
    # (noted by pins and the routers; the route's reason is the route's).
    # Made by the first note: most requests note nothing.
    reasons: Mapping[str, str] = _NO_REASONS
    stats: dict[str, AliasStats]
    # Writes committed on the primary, and the replication position they
    # reached (for the causal token of the response).
    committed: bool = False
    position: str = ""
    position_scheme: str = ""
    # Connections with a commit callback registered for their open transaction
    # (created on the first write: most requests never need it).
    awaiting_commit: set[str] | None = None
    # Aliases whose connection broke under a query (the server went away).
    lost: set[str] | None = None
    # Seconds spent finding a replica that has the client's write (causal reads).
    causal_wait: float | None = None
    # The connections of the primary's database in the querying thread
    # (routing.connections.primary_connections), looked up by the routers at
    # the log's first query and checked for an open transaction at each one.
    primaries: tuple | None = None

    def __init__(self, keeps_durations: bool = False, settings: HotSettings | None = None) -> None:
        self.stats = {}
        # A request's log, which the middleware hands to the metrics once the
        # request is done: it keeps each query's duration until then. A pin's own
        # log (outside any request) keeps none, which bounds a long job's memory:
        # the recorder passes its queries to the metrics as they run.
        self.keeps_durations = keeps_durations
        # The settings the log's queries are recorded under: read once, when
        # the request (or pin) began, not once per query.
        self.settings = settings or routing_settings.hot

    def __repr__(self) -> str:
        return f"QueryLog(stats={self.stats!r}, reasons={self.reasons!r}, committed={self.committed!r})"

    def record(self, alias: str, seconds: float) -> None:
        stats = self.stats.get(alias)
        if stats is None:
            stats = self.stats[alias] = AliasStats()
        stats.queries += 1
        stats.seconds += seconds
        if self.keeps_durations:
            stats.durations.append(seconds)

    def note(self, alias: str, reason: str) -> None:
        if alias in self.reasons:
            return
        if self.reasons is _NO_REASONS:
            self.reasons = {}
        self.reasons[alias] = reason

    def lose(self, alias: str) -> None:
        if self.lost is None:
            self.lost = set()
        self.lost.add(alias)


@dataclass(frozen=True, slots=True)
class Route:
    """Where the reads of the current request (or pinned block) go, and why."""

    alias: str
    reason: str
    log: QueryLog = field(default_factory=QueryLog, compare=False)


_current_route: ContextVar[Route | None] = ContextVar("routing_current_route", default=None)


# current_route() -> Route | None: the innermost active route, or None outside
# requests and pins. The ContextVar's own get: the routers and the query
# recorder call it on every query, and a C call costs no Python frame.
current_route = _current_route.get


class _CurrentRoute:
    """Make a route current for a block, then restore the previous one, also on exceptions."""

    __slots__ = ("_route", "_token")

    def __init__(self, route: Route) -> None:
        self._route = route
        self._token = None

    def __enter__(self) -> Route:
        self._token = _current_route.set(self._route)
        return self._route

    def __exit__(self, *exc_info) -> None:
        _current_route.reset(self._token)


def recording_into(log: QueryLog) -> _CurrentRoute:
    """Record the body's queries in ``log`` without routing anything by it.

    For work done while a request's route is still being decided (checking
    replicas): it costs time, so it belongs in the request's Server-Timing.
    """
    return _CurrentRoute(Route(alias="", reason="", log=log))


def activate(route: Route) -> _CurrentRoute:
    """Make ``route`` current for the body, then restore the previous route."""
    route.log.note(route.alias, route.reason)
    return _CurrentRoute(route)


# enter(route) -> Token: make ``route`` current, for the request it was resolved
# for; the caller must pass the result to leave() in a ``finally``. (A request's
# own alias and reason are its route's: nothing to note in its log, as
# activate() notes a pin's.)
enter = _current_route.set


# leave(token): restore the route that was current before enter() returned token.
leave = _current_route.reset
