"""Turning a request's route and query log into response headers."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

from routing.conf import routing_settings
from routing.state import Route

ALIAS_HEADER = "X-DB-Alias"
REASON_HEADER = "X-DB-Route-Reason"
TIMING_HEADER = "Server-Timing"
# Reported when an override was refused and no alias served the request.
NO_ALIAS = "none"


def served_by(route: Route) -> tuple[str, str]:
    """The data alias that served the request, and why.

    The request's own route, unless its queries all ran on another data alias
    (a view that pinned itself, a transaction on the primary); auth lookups on
    ``auth_db`` never count. A request that ran no data query reports the alias
    it was routed to.
    """
    stats = route.log.stats
    if route.alias in stats:
        return route.alias, route.reason  # the common case: the route ran its queries
    data_aliases = routing_settings.data_aliases
    reasons = dict(route.log.reasons)
    queries = {alias: stats[alias].queries for alias in stats if alias in data_aliases}
    if DEFAULT_DB_ALIAS in stats and routing_settings.default_is_primary:
        # `default` is the primary under Django's name (a transaction opened
        # without `using`): it is reported by its routing name.
        primary = routing_settings.primary
        queries[primary] = queries.get(primary, 0) + stats[DEFAULT_DB_ALIAS].queries
        reasons.setdefault(primary, reasons.get(DEFAULT_DB_ALIAS, route.reason))
    if not queries or route.alias in queries:
        return route.alias, route.reason
    busiest = max(queries, key=queries.__getitem__)
    return busiest, reasons.get(busiest, route.reason)


def server_timing(route: Route | None, total_seconds: float) -> str:
    """One entry per alias that executed queries, then the whole request."""
    entries = []
    if route is not None:
        for alias, stats in route.log.stats.items():
            noun = "query" if stats.queries == 1 else "queries"
            entries.append(f'{alias};desc="{stats.queries} {noun}";dur={stats.seconds * 1000:.2f}')
    entries.append(f"total;dur={total_seconds * 1000:.2f}")
    return ", ".join(entries)
