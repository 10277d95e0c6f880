"""The routing middleware: one route per request, reported on the response."""

from __future__ import annotations

from time import perf_counter

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers

from routing import metrics, reasons, tokens
from routing.conf import routing_settings
from routing.overrides import HEADER_NAME, OverrideRejected
from routing.policy import SAFE_METHODS
from routing.reporting import NO_ALIAS, header_store, log_request, report, served_by
from routing.resolution import PrimaryUnavailable, resolve_route
from routing.state import Route, activate, enter, leave

_COMPACT_JSON = {"separators": (",", ":")}


class RoutingMiddleware:
    """Choose the request's route, make it current for the view, report it.

    The route is set and reset inside this one call (``enter`` and ``leave`` in
    a ``try``/``finally``), so it cannot leak into the next request on
    the same thread or task, not even when the view raises. Under ASGI the
    route is resolved in the thread that will run the (sync) view, so the
    connections it checks are the ones the view uses.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if self.async_mode:
            return self.__acall__(request)
        started = perf_counter()
        try:
            route = resolve_route(request)
        except (OverrideRejected, PrimaryUnavailable) as refusal:
            return _refused(request, refusal, started)
        token = enter(route)
        try:
            response = self.get_response(request)
        finally:
            leave(token)
        if route.log.lost is not None and request.method in SAFE_METHODS:  # see _route_for_retry
            route = _route_for_retry(request, route)
            with activate(route):
                response = self.get_response(request)
        return _finish(request, response, route, started)

    async def __acall__(self, request: HttpRequest):
        started = perf_counter()
        try:
            route = await sync_to_async(resolve_route)(request)
        except (OverrideRejected, PrimaryUnavailable) as refusal:
            return _refused(request, refusal, started)
        token = enter(route)
        try:
            response = await self.get_response(request)
        finally:
            leave(token)
        if route.log.lost is not None and request.method in SAFE_METHODS:  # see _route_for_retry
            route = await sync_to_async(_route_for_retry)(request, route)
            with activate(route):
                response = await self.get_response(request)
        return _finish(request, response, route, started)


def _route_for_retry(request: HttpRequest, route: Route) -> Route:
    """The route of the second run of a read whose database went away under it (a server stopped mid-query).

    Only safe methods run twice: they change nothing, so running one twice is
    harmless. The alias that broke (``log.lost``) has left the pick, if
    anything can stand in for it, so the second run is routed elsewhere. This
    runs where the view's connections live (the view's thread under ASGI too).
    """
    for alias in route.log.lost:
        connections[alias].close()
    if routing_settings.metrics_on:
        metrics.record_queries(route.log)  # the first run's queries ran too, the one that broke included
    return resolve_route(request)  # a safe request: refused overrides were refused the first time


def _finish(request: HttpRequest, response: HttpResponse, route: Route, started: float) -> HttpResponse:
    hot = route.log.settings
    # Most requests ran their queries where they were routed; served_by() sorts out the rest.
    alias, reason = (route.alias, route.reason) if route.alias in route.log.stats else served_by(route)
    elapsed = perf_counter() - started
    report(request, response, alias, reason, route, elapsed, hot)
    _vary_on_routing(response)
    if hot.metrics_on:
        metrics.record_request(route.log, alias, reason)
    if hot.log_requests:
        log_request(request, response, route.log, alias, reason, elapsed)
    if route.log.committed:  # most requests wrote nothing: no token to hand out
        _hand_out_token(request, response, route)
    return response


# What decides the database: the override header and the causal token, sent as
# a header or a cookie (the query parameter is part of the URL already).
_VARY = (HEADER_NAME, tokens.HEADER_NAME, "Cookie")


# Vary as patch_vary_headers leaves it, by the Vary the view left: each as
# the (name, value) entry ResponseHeaders keeps under "vary" (None: no Vary). A
# process sees a handful of those (none, DRF's "Accept", with "Cookie" once the
# session was read), and patching one splits, lower-cases and joins it again on
# every response. The bound only matters for a view that varies its Vary per
# request: past it, such values are patched each time instead of remembered.
_patched_vary: dict[tuple[str, str] | None, tuple[str, str]] = {}
_PATCHED_VARY_LIMIT = 64


def _vary_on_routing(response: HttpResponse) -> None:
    """The same URL may be answered by another database: caches must key on what chose it."""
    store = header_store(response)
    left = store.get("vary")
    patched = _patched_vary.get(left)
    if patched is not None:
        store["vary"] = patched
        return
    patch_vary_headers(response, _VARY)
    if len(_patched_vary) < _PATCHED_VARY_LIMIT:
        _patched_vary[left] = store["vary"]


def _hand_out_token(request: HttpRequest, response: HttpResponse, route: Route) -> None:
    """After a committed write: the token that lets the client read its own write."""
    token = tokens.issue(route.log)
    if token is None:
        return
    value = token.encode()
    response.headers[tokens.HEADER_NAME] = value
    secure = routing_settings.cookie_secure
    response.set_cookie(
        routing_settings.cookie_name,
        value,
        max_age=int(tokens.lifetime(token)) or 1,
        httponly=routing_settings.cookie_httponly,
        samesite=routing_settings.cookie_samesite,
        secure=request.is_secure() if secure is None else secure,
    )


def _refused(request: HttpRequest, refusal: OverrideRejected | PrimaryUnavailable, started: float) -> HttpResponse:
    body = {"detail": refusal.detail, "code": refusal.code}
    if isinstance(refusal, OverrideRejected):
        body["allowed"] = list(refusal.allowed)
        alias, reason = NO_ALIAS, reasons.OVERRIDE_REJECTED
    else:
        alias, reason = routing_settings.primary, reasons.PRIMARY_UNAVAILABLE
    response = JsonResponse(body, status=refusal.status_code, json_dumps_params=_COMPACT_JSON)
    elapsed = perf_counter() - started
    report(request, response, alias, reason, None, elapsed)
    if routing_settings.metrics_on:
        metrics.record_refusal(refusal.code)
    if routing_settings.log_requests:
        log_request(request, response, None, alias, reason, elapsed)
    if isinstance(refusal, PrimaryUnavailable):
        response.headers["Retry-After"] = str(routing_settings.retry_after)
    _vary_on_routing(response)
    return response
