"""The middleware: one route per request, honest headers, no state left behind.

Each behaviour is checked through the sync (WSGI) and the async (ASGI)
middleware path.
"""

import asyncio
import itertools
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.http import HttpResponse
from django.test import AsyncClient, Client

from api.models import Article
from routing.middleware import RoutingMiddleware
from routing.state import current_route
from tests.conftest import REPLICAS, make_user, queried_aliases, routed_db, timing_entries
from tests.urls import Boom

pytestmark = routed_db


@pytest.fixture(autouse=True)
def _test_views(settings):
    settings.ROOT_URLCONF = "tests.urls"


class SyncOrAsyncClient:
    """Drives Django's sync or async test client through the same calls."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.client = Client() if mode == "sync" else AsyncClient()

    def request(self, method: str, path: str, **kwargs):
        call = getattr(self.client, method)
        if self.mode == "sync":
            return call(path, **kwargs)
        return async_to_sync(call)(path, **kwargs)


@pytest.fixture(params=["sync", "async"])
def client(request) -> SyncOrAsyncClient:
    return SyncOrAsyncClient(request.param)


@pytest.fixture
def articles():
    author = make_user("writer")
    return [Article.objects.create(title=f"Article {n}", author=author) for n in range(3)]


def test_middleware_supports_both_paths():
    def sync_view(request):
        return HttpResponse()

    async def async_view(request):
        return HttpResponse()

    assert not iscoroutinefunction(RoutingMiddleware(sync_view))
    assert iscoroutinefunction(RoutingMiddleware(async_view))


def test_safe_request_is_served_by_one_replica(client, articles):
    response = client.request("get", "/api/articles/")
    assert response.status_code == 200
    alias = response.headers["X-DB-Alias"]
    assert alias in REPLICAS
    assert response.headers["X-DB-Route-Reason"] == "replica-pick"
    # The page, its count and the comment counts all came from that replica;
    # the authors from auth_db.
    timing = timing_entries(response)
    assert set(timing) == {alias, "auth_db", "total"}
    assert timing[alias]["desc"] == '"2 queries"'
    assert timing["auth_db"]["desc"] == '"1 query"'


@pytest.mark.parametrize("alias", ["primary", *REPLICAS])
def test_header_override(client, articles, alias):
    response = client.request("get", "/api/articles/", headers={"X-DB-Alias": alias})
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == (alias, "header")
    assert queried_aliases(response) == {alias, "auth_db"}


@pytest.mark.parametrize("alias", ["primary", *REPLICAS])
def test_query_param_override(client, articles, alias):
    response = client.request("get", f"/api/articles/?db={alias}")
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == (alias, "query-param")
    assert queried_aliases(response) == {alias, "auth_db"}


def test_replica_override_lets_the_router_pick(client, articles):
    response = client.request("get", "/api/articles/", headers={"X-DB-Alias": "replica"})
    assert response.headers["X-DB-Alias"] in REPLICAS
    assert response.headers["X-DB-Route-Reason"] == "header"


@pytest.mark.parametrize("value", ["auth_db", "default", "replica7", "junk"])
def test_unknown_override_is_a_400_that_lists_the_allowed_values(client, value):
    response = client.request("get", "/api/articles/", headers={"X-DB-Alias": value})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "invalid_db_alias"
    assert body["allowed"] == ["primary", "replica", "replica1", "replica2"]
    assert response.headers["X-DB-Alias"] == "none"
    assert response.headers["X-DB-Route-Reason"] == "override-rejected"
    assert queried_aliases(response) == set()


def test_conflicting_header_and_param_is_a_400(client):
    response = client.request("get", "/api/articles/?db=replica2", headers={"X-DB-Alias": "replica1"})
    assert response.status_code == 400
    assert response.json()["code"] == "conflicting_db_alias"


@pytest.mark.parametrize("value", ["replica", "replica1", "replica2"])
def test_replica_override_on_a_write_is_refused_and_nothing_is_written(client, value):
    make_user("writer")
    client.client.login(username="writer", password="correct horse battery staple")
    payload = json.dumps({"title": "Should not exist"})
    response = client.request(
        "post", "/api/articles/", data=payload, content_type="application/json", headers={"X-DB-Alias": value}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "replica_not_writable"
    assert response.json()["allowed"] == ["primary"]
    assert not Article.objects.exists()


def test_write_request_runs_every_query_on_primary(client, articles):
    make_user("other")
    client.client.login(username="writer", password="correct horse battery staple")
    article = articles[0]
    response = client.request(
        "patch", f"/api/articles/{article.pk}/", data=json.dumps({"title": "Edited"}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == ("primary", "unsafe-method")
    # get_object() read the row from the primary too: no replica was touched.
    assert queried_aliases(response) == {"primary", "auth_db"}


def test_request_without_queries_reports_its_route(client):
    response = client.request("get", "/api/test/no-query/")
    assert response.headers["X-DB-Alias"] == response.json()["route"]
    assert response.headers["X-DB-Alias"] in REPLICAS
    assert list(timing_entries(response)) == ["total"]


def test_view_pinned_to_primary_is_reported_as_pinned(client, articles):
    response = client.request("get", "/api/test/pinned/")
    assert response.json() == {"count": 3, "alias": "primary"}
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == ("primary", "pinned")
    assert queried_aliases(response) == {"primary"}


def test_reads_in_a_primary_transaction_are_reported_as_atomic(client, articles):
    response = client.request("get", "/api/test/atomic-read/")
    assert response.json() == {"count": 3}
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == ("primary", "atomic")


def test_responses_vary_on_the_override_header(client):
    response = client.request("get", "/api/articles/")
    assert "X-DB-Alias" in response.headers["Vary"]


def test_server_timing_durations_are_numbers(client, articles):
    response = client.request("get", "/api/articles/")
    for entry in timing_entries(response).values():
        assert float(entry["dur"]) >= 0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_state_is_reset_when_the_view_raises(mode, articles):
    client = SyncOrAsyncClient(mode)
    with pytest.raises(Boom, match="routed to primary"):
        client.request("get", "/api/test/raise/", headers={"X-DB-Alias": "replica2"})
    assert current_route() is None
    # The next request on this thread starts from nothing.
    response = client.request("get", "/api/test/no-query/")
    assert response.headers["X-DB-Route-Reason"] == "replica-pick"


def test_concurrent_requests_in_threads_never_see_each_others_route(articles):
    """32 threads, 640 requests, a different override per request."""
    cases = [
        ({"X-DB-Alias": "primary"}, "", "primary", "header"),
        ({"X-DB-Alias": "replica1"}, "", "replica1", "header"),
        ({"X-DB-Alias": "replica2"}, "", "replica2", "header"),
        ({}, "?db=replica1", "replica1", "query-param"),
        ({}, "?db=primary", "primary", "query-param"),
        ({}, "", None, "replica-pick"),
        ({"X-DB-Alias": "bogus"}, "", "none", "override-rejected"),
    ]
    barrier = threading.Barrier(32)
    mismatches = []

    def worker(worker_id: int) -> int:
        client = Client()
        barrier.wait()  # start together, so requests really overlap
        done = 0
        for headers, query, alias, reason in itertools.islice(itertools.cycle(cases), worker_id, worker_id + 20):
            response = client.get(f"/api/articles/{query}", headers=headers)
            got = (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"])
            ran = queried_aliases(response) - {"auth_db"}
            expected_alias = alias or got[0]
            if got != (expected_alias, reason) or (alias != "none" and ran != {expected_alias}):
                mismatches.append((headers, query, got, ran))
            done += 1
        return done

    with ThreadPoolExecutor(max_workers=32) as pool:
        total = sum(pool.map(worker, range(32)))
    assert total == 640
    assert mismatches == []


def test_concurrent_async_requests_never_see_each_others_route(articles):
    client = AsyncClient()
    aliases = ["primary", "replica1", "replica2"] * 50

    async def fetch(alias: str):
        response = await client.get("/api/articles/", headers={"X-DB-Alias": alias})
        return alias, response.headers["X-DB-Alias"], queried_aliases(response) - {"auth_db"}

    async def run_all():
        return await asyncio.gather(*(fetch(alias) for alias in aliases))

    results = async_to_sync(run_all)()
    assert len(results) == 150
    assert [(asked, got, ran) for asked, got, ran in results if got != asked or ran != {asked}] == []
