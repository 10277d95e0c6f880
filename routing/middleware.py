"""The routing middleware: one route per request, reported on the response."""

from __future__ import annotations

from time import perf_counter

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers

from routing import reasons
from routing.overrides import HEADER_NAME, OverrideRejected, read_override
from routing.policy import route_request
from routing.reporting import (
    ALIAS_HEADER,
    NO_ALIAS,
    REASON_HEADER,
    TIMING_HEADER,
    served_by,
    server_timing,
)
from routing.state import Route, activate

_COMPACT_JSON = {"separators": (",", ":")}


class RoutingMiddleware:
    """Choose the request's route, make it current for the view, report it.

    The route is set and reset inside this one call (``activate`` restores the
    previous value in a ``finally``), so it cannot leak into the next request on
    the same thread or task, not even when the view raises.
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
            route = _route_for(request)
        except OverrideRejected as rejection:
            return _rejected(rejection, started)
        with activate(route):
            response = self.get_response(request)
        return _annotate(response, route, started)

    async def __acall__(self, request: HttpRequest):
        started = perf_counter()
        try:
            route = _route_for(request)
        except OverrideRejected as rejection:
            return _rejected(rejection, started)
        with activate(route):
            response = await self.get_response(request)
        return _annotate(response, route, started)


def _route_for(request: HttpRequest) -> Route:
    return route_request(request.method, read_override(request))


def _annotate(response: HttpResponse, route: Route, started: float) -> HttpResponse:
    alias, reason = served_by(route)
    response.headers[ALIAS_HEADER] = alias
    response.headers[REASON_HEADER] = reason
    response.headers[TIMING_HEADER] = server_timing(route, perf_counter() - started)
    # The same URL may be answered by another database: caches must key on it.
    patch_vary_headers(response, [HEADER_NAME])
    return response


def _rejected(rejection: OverrideRejected, started: float) -> HttpResponse:
    response = JsonResponse(rejection.as_dict(), status=rejection.status_code, json_dumps_params=_COMPACT_JSON)
    response.headers[ALIAS_HEADER] = NO_ALIAS
    response.headers[REASON_HEADER] = reasons.OVERRIDE_REJECTED
    response.headers[TIMING_HEADER] = server_timing(None, perf_counter() - started)
    patch_vary_headers(response, [HEADER_NAME])
    return response
