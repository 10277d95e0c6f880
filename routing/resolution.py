"""Resolving a request's route, with the database round trips that takes.

:mod:`routing.policy` says which methods are safe and what an override may ask
for; this module makes the request's one decision, with what needs the
databases, in this order:

1. An explicit override (``X-DB-Alias``/``?db=``) wins, as a debugging tool.
2. A write goes to the primary, which must be reachable (else 503).
3. A read with a causal token goes to a replica that has applied the token's
   write (checked, with a bounded wait), else to the primary; a window token
   sends the writer to the primary for ``ROUTING_PIN_SECONDS``.
4. Any other read goes to one healthy replica, chosen at random.
5. A chosen replica that cannot be connected to is left out for the cooldown
   and the read is retried once on another replica, or on the primary.

Queries made here (replication position checks) are recorded in the request's log, so they
appear in its Server-Timing.
"""

from __future__ import annotations

import random
import time

from django.db import DatabaseError
from django.http import HttpRequest

from routing import reasons, tokens
from routing.access import check_permitted
from routing.conf import ANY_REPLICA, OFF, WINDOW, routing_settings
from routing.connections import connection_for, open_connection, usable
from routing.engines import positions_named
from routing.health import registry
from routing.overrides import Override, read_override
from routing.policy import SAFE_METHODS, named_alias, refuse_replica_write
from routing.state import QueryLog, Route, recording_into


class PrimaryUnavailable(Exception):
    """A write arrived while the primary cannot be reached; nothing was run."""

    status_code = 503
    code = "primary_unavailable"

    def __init__(self, error: object) -> None:
        super().__init__(str(error))
        self.detail = (
            "The primary database is unavailable, so writes are refused and nothing was changed. "
            "Reads still work from the replicas. Retry after the delay in Retry-After."
        )


def resolve_route(request: HttpRequest) -> Route:
    """The route of ``request``; raises OverrideRejected (or its OverrideForbidden) or PrimaryUnavailable."""
    hot = routing_settings.hot
    log = QueryLog(keeps_durations=hot.metrics_on, settings=hot)  # durations: for the metrics, at the end
    override = read_override(request)
    safe = request.method in SAFE_METHODS
    if override is None:
        if safe:
            raw_token = tokens.presented(request, hot.cookie_name)
            if raw_token and hot.read_your_writes != OFF:
                alias, reason = _token_route(raw_token, log)
            else:
                alias, reason = _pick(registry.pickable())
            return Route(alias, reason, log)
        alias, reason = hot.primary, reasons.UNSAFE_METHOD
    else:
        # Decided before the policy: a replica named on a write is a 400 for
        # everyone, not a 403 that staff could get past.
        refuse_replica_write(request.method, override)
        check_permitted(request, override)
        alias, reason = _overridden(override)
    if not safe:
        try:
            open_connection(hot.primary)
        except DatabaseError as error:
            raise PrimaryUnavailable(error) from error
    return Route(alias, reason, log)


def _overridden(override: Override) -> tuple[str, str]:
    if override.value != ANY_REPLICA:
        return named_alias(override.value), override.source
    # "Let the router pick": the same healthy pick as without an override,
    # reported as the override's unless there was nothing to pick from.
    alias, reason = pick_replica()
    return alias, override.source if reason == reasons.REPLICA_PICK else reason


def pick_replica() -> tuple[str, str]:
    """One healthy replica that connects (the request's, or a pin's), else the primary; and why."""
    return _pick(registry.pickable())


def _token_route(raw_token: str, log: QueryLog) -> tuple[str, str]:
    """A read that presents a causal token: a replica that has the write, or the primary."""
    candidates = registry.pickable()
    try:
        token = tokens.decode(raw_token)
    except tokens.InvalidToken:
        return _pick(candidates, reasons.CAUSAL_INVALID)
    if token.age > tokens.lifetime(token):
        return _pick(candidates)
    if token.mode == WINDOW:
        return routing_settings.primary, reasons.STICKY_WINDOW
    started = time.perf_counter()
    try:
        with recording_into(log):  # its GTID checks are queries of this request
            return _causal_route(token, candidates)
    finally:
        log.causal_wait = time.perf_counter() - started


def _pick(candidates: tuple[str, ...], reason: str | None = None) -> tuple[str, str]:
    if not candidates:  # no replica is configured, or none is healthy
        why = reasons.NO_HEALTHY_REPLICA if routing_settings.replicas else reasons.NO_REPLICAS
        return routing_settings.primary, why
    # Drawn without random.choice's two Python-level calls per request; it spreads load, guards nothing.
    first = candidates[int(random.random() * len(candidates))]  # noqa: S311
    if usable(first):
        return first, reason or reasons.REPLICA_PICK
    # Retried once: on another replica, else on the primary.
    others = [alias for alias in candidates if alias != first]
    second = random.choice(others) if others else None  # noqa: S311
    if second is not None and usable(second):
        return second, reasons.REPLICA_FALLBACK
    return routing_settings.primary, reasons.REPLICA_FALLBACK


def _first_reachable(aliases: list[str]) -> str | None:
    """The first alias whose connection opens."""
    return next((alias for alias in aliases if usable(alias)), None)


def _causal_route(token: tokens.CausalToken, candidates: tuple[str, ...]) -> tuple[str, str]:
    """A replica that has applied the token's write, or the primary."""
    scheme = positions_named(token.scheme)
    primary = routing_settings.primary
    if scheme is None or not candidates:
        return primary, reasons.CAUSAL_PRIMARY
    # Known from the health cache: no round trip at all.
    caught_up = [alias for alias in candidates if scheme.covers(registry.state(alias).applied, token.position)]
    if caught_up:
        alias = _first_reachable(_shuffled(caught_up))
        if alias is not None:
            return alias, reasons.CAUSAL_REPLICA
    # Ask each replica whether it is there already, then wait on the closest one.
    reachable = [alias for alias in _shuffled(candidates) if usable(alias)]
    for alias in reachable:
        if _reached(scheme, alias, token.position, 0):
            return alias, reasons.CAUSAL_REPLICA
    if reachable:
        closest = min(reachable, key=_expected_lag)
        if _reached(scheme, closest, token.position, routing_settings.causal_timeout):
            return closest, reasons.CAUSAL_REPLICA
    return primary, reasons.CAUSAL_PRIMARY


def _expected_lag(alias: str) -> float:
    state = registry.state(alias)
    return max(state.lag_seconds or 0.0, state.delay_seconds)


def _reached(scheme, alias: str, position: str, timeout: float) -> bool:
    try:
        return scheme.reached(connection_for(alias), position, timeout)
    except DatabaseError as error:
        registry.mark_failed(alias, error)
        return False


def _shuffled(aliases) -> list[str]:
    aliases = list(aliases)
    random.shuffle(aliases)
    return aliases
