"""Where a request's reads go, decided from its method and override (routing.resolution)."""

import pytest
from django.test import RequestFactory

from routing.overrides import OverrideRejected
from routing.resolution import resolve_route
from tests.conftest import routed_db

REPLICAS = {"replica1", "replica2"}
pytestmark = routed_db


def route_of(method: str, alias: str | None = None, *, query: str = ""):
    headers = {} if alias is None else {"HTTP_X_DB_ALIAS": alias}
    request = RequestFactory().generic(method, f"/api/articles/{query}", **headers)
    return resolve_route(request)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_request_without_override_reads_from_one_replica(method):
    route = route_of(method)
    assert route.alias in REPLICAS
    assert route.reason == "replica-pick"


def test_replica_pick_uses_every_replica():
    picked = {route_of("GET").alias for _ in range(200)}
    assert picked == REPLICAS


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_request_is_pinned_to_primary(method):
    route = route_of(method)
    assert (route.alias, route.reason) == ("primary", "unsafe-method")


def test_without_replicas_reads_go_to_primary(settings):
    settings.ROUTING_REPLICAS = []
    route = route_of("GET")
    assert (route.alias, route.reason) == ("primary", "no-replicas")


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_primary_override_is_honoured_on_any_method(method):
    assert (route_of(method, "primary").alias, route_of(method, "primary").reason) == ("primary", "header")
    by_param = route_of(method, query="?db=primary")
    assert (by_param.alias, by_param.reason) == ("primary", "query-param")


@pytest.mark.parametrize("replica", sorted(REPLICAS))
def test_named_replica_override_on_safe_request(replica):
    route = route_of("GET", replica)
    assert (route.alias, route.reason) == (replica, "header")


def test_replica_override_lets_the_router_pick():
    picked = {route_of("GET", query="?db=replica").alias for _ in range(200)}
    assert picked == REPLICAS
    assert route_of("GET", query="?db=replica").reason == "query-param"


def test_replica_override_without_replicas_says_so(settings):
    settings.ROUTING_REPLICAS = []
    route = route_of("GET", "replica")
    assert (route.alias, route.reason) == ("primary", "no-replicas")


@pytest.mark.parametrize("value", ["replica", "replica1", "replica2"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_replica_override_on_unsafe_request_is_refused(method, value):
    with pytest.raises(OverrideRejected) as refused:
        route_of(method, value)
    assert refused.value.code == "replica_not_writable"
    assert refused.value.allowed == ("primary",)
    assert method in refused.value.detail
