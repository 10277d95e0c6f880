"""Turning a request's route and query log into response headers."""

from __future__ import annotations

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
    data_aliases = routing_settings.data_aliases
    ran = [alias for alias in route.log.stats if alias in data_aliases]
    if not ran or route.alias in ran:
        return route.alias, route.reason
    busiest = max(ran, key=lambda alias: route.log.stats[alias].queries)
    return busiest, route.log.reasons.get(busiest, route.reason)


def server_timing(route: Route | None, total_seconds: float) -> str:
    """One entry per alias that executed queries, then the whole request."""
    entries = []
    if route is not None:
        for alias, stats in route.log.stats.items():
            noun = "query" if stats.queries == 1 else "queries"
            entries.append(f'{alias};desc="{stats.queries} {noun}";dur={stats.seconds * 1000:.2f}')
    entries.append(f"total;dur={total_seconds * 1000:.2f}")
    return ", ".join(entries)
