"""Measurements made inside one Django process: micro-benchmarks and query budgets.

``python -m bench.inprocess`` prints one JSON document. Run by ``python -m bench``
with the routed configuration on the benchmark's SQLite data.
"""

from __future__ import annotations

import json
import os
import timeit
from contextlib import ExitStack

import django

QUICK = os.environ.get("BENCH_QUICK", "").strip() not in {"", "0", "false"}
DECISIONS = 50_000 if QUICK else 200_000
REQUESTS = 5_000 if QUICK else 20_000
PAGE_SIZES = (10, 100)


def _per_call_us(function, number: int) -> float:
    # Best of 5: the least disturbed run is the closest to the real cost.
    return min(timeit.repeat(function, number=number, repeat=5)) / number * 1e6


def micro() -> dict:
    from django.db import router
    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    from api.models import Article
    from routing.middleware import RoutingMiddleware
    from routing.routers import PrimaryReplicaRouter
    from routing.state import Route, activate

    results = {}
    with activate(Route("replica1", "replica-pick")):
        results["routing: router.db_for_read (both routers)"] = _per_call_us(
            lambda: router.db_for_read(Article), DECISIONS
        )
        data_router = PrimaryReplicaRouter()
        results["routing: PrimaryReplicaRouter.db_for_read"] = _per_call_us(
            lambda: data_router.db_for_read(Article), DECISIONS
        )

    factory = RequestFactory()

    def view(request):
        return HttpResponse()

    middleware = RoutingMiddleware(view)
    middleware(factory.get("/api/articles/"))  # opens the replica connections once
    bare = _per_call_us(lambda: view(factory.get("/api/articles/")), REQUESTS)
    routed = _per_call_us(lambda: middleware(factory.get("/api/articles/")), REQUESTS)
    results["routing: middleware work per request"] = routed - bare
    results.update(_middleware_parts(factory, view))

    try:
        from multidb import PinningReplicaRouter
        from multidb.middleware import PinningRouterMiddleware
    except ImportError:
        return results
    with override_settings(REPLICA_DATABASES=["replica1", "replica2"]):
        multidb_router = PinningReplicaRouter()
        results["multidb: PinningReplicaRouter.db_for_read"] = _per_call_us(
            lambda: multidb_router.db_for_read(Article), DECISIONS
        )
        pinning = PinningRouterMiddleware(view)
        pinned = _per_call_us(lambda: pinning(factory.get("/api/articles/")), REQUESTS)
        results["multidb: middleware work per request"] = pinned - bare
    return results


def _middleware_parts(factory, view) -> dict[str, float]:
    """What each part of the middleware's work costs, timed alone (the README's breakdown)."""
    from django.db import connections

    from routing import metrics, tokens
    from routing.middleware import _vary_on_routing
    from routing.recorder import record_query
    from routing.reporting import report
    from routing.resolution import pick_replica, resolve_route
    from routing.state import QueryLog, Route, activate

    request = factory.get("/api/articles/")
    route = resolve_route(request)
    route.log.record(route.alias, 0.001)
    route.log.record(route.alias, 0.001)
    wrapper = connections[route.alias]
    context = {"connection": wrapper, "cursor": None}

    def execute(sql, params, many, context):
        return None

    def response():
        answer = view(request)
        answer.headers["Vary"] = "Accept"
        return answer

    bare_response = _per_call_us(response, REQUESTS)
    # A request's log, as the middleware makes it: durations kept for the metrics at the request's end.
    with activate(Route(route.alias, route.reason, QueryLog(keeps_durations=True))):
        recorded = _per_call_us(lambda: record_query(execute, "SELECT 1", (), False, context), DECISIONS)
    bare_execute = _per_call_us(lambda: execute("SELECT 1", (), False, context), DECISIONS)
    reported = _per_call_us(
        lambda: report(request, response(), route.alias, route.reason, route, 0.002),
        REQUESTS,
    )
    varied = _per_call_us(lambda: _vary_on_routing(response()), REQUESTS)
    return {
        "routing: route decision (override, token, replica pick)": _per_call_us(
            lambda: resolve_route(request), REQUESTS
        ),
        "routing: replica pick and its connection check": _per_call_us(pick_replica, REQUESTS),
        "routing: causal token handling on a read without one": _per_call_us(
            lambda: tokens.presented(request), DECISIONS
        ),
        "routing: query recording, per query": recorded - bare_execute,
        # The request's two recorded queries are counted and observed here too.
        "routing: metrics, per request of two queries": _per_call_us(
            lambda: metrics.record_request(route.log, route.alias, route.reason), REQUESTS
        ),
        "routing: reporting headers (X-DB-Alias, X-DB-Route-Reason, Server-Timing)": reported - bare_response,
        "routing: Vary on the override and token headers": varied - bare_response,
    }


def budget() -> list[dict]:
    from django.conf import settings
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from api.models import Article

    first = Article.objects.order_by("pk").values_list("pk", flat=True).first()
    endpoints = {
        "GET /api/articles/": "/api/articles/?page_size={size}",
        "GET /api/articles/{id}/comments/": f"/api/articles/{first}/comments/?page_size={{size}}",
        "GET /api/comments/": "/api/comments/?page_size={size}",
    }
    client = Client(HTTP_HOST="localhost")
    aliases = [alias for alias in settings.DATABASES if alias != "default"]
    rows = []
    for endpoint, path in endpoints.items():
        counts = {}
        for size in PAGE_SIZES:
            url = path.format(size=size)
            client.get(url)  # connections open, caches warm
            with ExitStack() as stack:
                captured = {alias: stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in aliases}
                response = client.get(url)
            if response.status_code != 200 or len(response.json()["results"]) != size:
                raise RuntimeError(f"{url}: {response.status_code}, not a full page of {size}")
            counts[size] = {alias: len(queries) for alias, queries in captured.items()}
        for alias in aliases:
            by_size = [counts[size][alias] for size in PAGE_SIZES]
            if any(by_size):
                rows.append({"endpoint": endpoint, "alias": _role(alias), "queries": by_size})
    return _merge_replicas(rows)


def _role(alias: str) -> str:
    return "replica" if alias.startswith("replica") else alias


def _merge_replicas(rows: list[dict]) -> list[dict]:
    # One replica serves each request; which one is random. Sum them as "replica".
    merged: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        key = (row["endpoint"], row["alias"])
        previous = merged.get(key, [0] * len(PAGE_SIZES))
        merged[key] = [a + b for a, b in zip(previous, row["queries"], strict=True)]
    return [
        {"endpoint": endpoint, "alias": alias, "queries": dict(zip(map(str, PAGE_SIZES), queries, strict=True))}
        for (endpoint, alias), queries in merged.items()
    ]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    print(json.dumps({"micro_us": micro(), "query_budget": budget()}))


if __name__ == "__main__":
    main()
