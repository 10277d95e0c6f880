"""Turning a request's route and query log into response headers.

Which headers are sent, and to whom, is the deployment's choice: database
names and timings tell an outsider something about the setup.
``ROUTING_REPORT_HEADERS`` is ``all`` (the default: ``X-DB-Alias``,
``X-DB-Route-Reason``, ``Server-Timing``), ``alias`` (``X-DB-Alias`` only) or
``none``; ``ROUTING_REPORT_TO`` is ``everyone`` (the default) or ``staff``
(staff users, and everyone while ``DEBUG`` is on). The causal token is not
reporting: it is sent whenever a write commits, since read-your-writes needs it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse

from routing import reasons
from routing.conf import HotSettings, routing_settings
from routing.state import Route

ALIAS_HEADER = "X-DB-Alias"
REASON_HEADER = "X-DB-Route-Reason"
TIMING_HEADER = "Server-Timing"
# Reported when an override was refused and no alias served the request.
NO_ALIAS = "none"

request_logger = logging.getLogger("routing.requests")

# ROUTING_REPORT_HEADERS and ROUTING_REPORT_TO values.
REPORT_ALL, REPORT_ALIAS, REPORT_NONE = "all", "alias", "none"
REPORT_HEADERS = (REPORT_ALL, REPORT_ALIAS, REPORT_NONE)
TO_EVERYONE, TO_STAFF = "everyone", "staff"
REPORT_TO = (TO_EVERYONE, TO_STAFF)


def _shown_to_this_user(request: HttpRequest, chosen: str) -> str:
    """``ROUTING_REPORT_TO = "staff"``: ``chosen`` for staff users (for everyone while DEBUG is on), else none."""
    if settings.DEBUG:
        return chosen
    user = getattr(request, "user", None)  # Django's, or DRF's once a view authenticated it
    return chosen if getattr(user, "is_staff", False) else REPORT_NONE


def header_store(response: HttpResponse) -> dict[str, tuple[str, str]]:
    """The dict ResponseHeaders keeps its headers in: lower-cased name -> ``(name, value)``.

    Written to directly only with entries ResponseHeaders itself would store
    (see :func:`stored_unchanged`, :func:`report`, and the middleware's ``Vary`` memo).
    """
    return response.headers._store


def stored_unchanged(value: str) -> bool:
    """Whether ResponseHeaders stores ``value`` just as it is given (tests/test_reporting.py compares).

    Its checks (the value's charset, no line breaks) pass ASCII without CR or
    LF unchanged; anything else is encoded or refused there.
    """
    return value.isascii() and "\n" not in value and "\r" not in value


# The routing headers, in the order report() sets them: (key, name), as ResponseHeaders keys and keeps each.
_ENTRIES = tuple((name.lower(), name) for name in (ALIAS_HEADER, REASON_HEADER, TIMING_HEADER))
# Every reason is a constant of routing.reasons, each stored unchanged (tests/test_reporting.py checks).
_PLAIN_REASONS = frozenset(reasons.ALL)


def report(
    request: HttpRequest,
    response: HttpResponse,
    alias: str,
    reason: str,
    route: Route | None,
    seconds: float,
    hot: HotSettings | None = None,
) -> None:
    """Set the routing headers the settings allow; Server-Timing is built only when it is sent.

    Django's ResponseHeaders checks each name and value in three Python calls.
    The names are routing's own, and when the alias is one of the settings'
    plain aliases and the reason a plain constant, the values (Server-Timing is
    made of the log's aliases and numbers) pass those checks unchanged: they
    are stored as ``__setitem__`` would store them, without the calls.
    """
    hot = hot or routing_settings.hot
    chosen = hot.report_headers  # reported to everyone (the default): the setting alone decides
    if chosen != REPORT_NONE and hot.report_to != TO_EVERYONE:
        chosen = _shown_to_this_user(request, chosen)
    if chosen == REPORT_NONE:
        return
    # `alias` alone, or all three (zip stops with the values).
    values = (alias,) if chosen == REPORT_ALIAS else (alias, reason, server_timing(route, seconds))
    if alias in hot.plain_aliases and reason in _PLAIN_REASONS:
        store = header_store(response)
        for (key, name), value in zip(_ENTRIES, values, strict=False):
            store[key] = (name, value)
    else:
        for (_, name), value in zip(_ENTRIES, values, strict=False):
            response.headers[name] = value


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
    noted = dict(route.log.reasons)
    queries = {alias: stats[alias].queries for alias in stats if alias in data_aliases}
    if DEFAULT_DB_ALIAS in stats and routing_settings.default_is_primary:
        # `default` is the primary under Django's name (a transaction opened
        # without `using`): it is reported by its routing name.
        primary = routing_settings.primary
        queries[primary] = queries.get(primary, 0) + stats[DEFAULT_DB_ALIAS].queries
        noted.setdefault(primary, noted.get(DEFAULT_DB_ALIAS, route.reason))
    if not queries or route.alias in queries:
        return route.alias, route.reason
    busiest = max(queries, key=queries.__getitem__)
    return busiest, noted.get(busiest, route.reason)


def server_timing(route: Route | None, total_seconds: float) -> str:
    """One entry per alias that executed queries, then the whole request."""
    timing = ""
    if route is not None:
        for alias, stats in route.log.stats.items():
            noun = "query" if stats.queries == 1 else "queries"
            timing += f'{alias};desc="{stats.queries} {noun}";dur={stats.seconds * 1000:.2f}, '
    return f"{timing}total;dur={total_seconds * 1000:.2f}"


def log_request(request: HttpRequest, response: HttpResponse, log, alias: str, reason: str, seconds: float) -> None:
    """ROUTING_LOG_REQUESTS: one logfmt line per request, for grep and log pipelines.

    method=GET path=/api/articles/ status=200 alias=replica1 reason=replica-pick
    queries=replica1:2,auth_db:1 duration_ms=3.21
    """
    queries = ",".join(f"{queried}:{stats.queries}" for queried, stats in log.stats.items()) if log else ""
    request_logger.info(
        "method=%s path=%s status=%s alias=%s reason=%s queries=%s duration_ms=%.2f",
        request.method,
        _logfmt(request.path),
        response.status_code,
        alias,
        reason,
        queries or "-",
        seconds * 1000,
    )


def _logfmt(value: str) -> str:
    # A path with spaces or quotes (percent-decoded) is quoted, so the line stays parseable.
    if any(char in value for char in ' "=\\') or not value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value
