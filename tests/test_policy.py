"""Where a request's reads go, decided from its method and override alone."""

import pytest

from routing.overrides import Override, OverrideRejected
from routing.policy import route_request

REPLICAS = {"replica1", "replica2"}


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_request_without_override_reads_from_one_replica(method):
    route = route_request(method, None)
    assert route.alias in REPLICAS
    assert route.reason == "replica-pick"


def test_replica_pick_uses_every_replica():
    picked = {route_request("GET", None).alias for _ in range(200)}
    assert picked == REPLICAS


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_request_is_pinned_to_primary(method):
    route = route_request(method, None)
    assert (route.alias, route.reason) == ("primary", "unsafe-method")


def test_without_replicas_reads_go_to_primary(settings):
    settings.ROUTING_REPLICAS = []
    route = route_request("GET", None)
    assert (route.alias, route.reason) == ("primary", "no-replicas")


@pytest.mark.parametrize("source", ["header", "query-param"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_primary_override_is_honoured_on_any_method(method, source):
    route = route_request(method, Override("primary", source))
    assert (route.alias, route.reason) == ("primary", source)


@pytest.mark.parametrize("replica", sorted(REPLICAS))
def test_named_replica_override_on_safe_request(replica):
    route = route_request("GET", Override(replica, "header"))
    assert (route.alias, route.reason) == (replica, "header")


def test_replica_override_lets_the_router_pick():
    picked = {route_request("GET", Override("replica", "query-param")).alias for _ in range(200)}
    assert picked == REPLICAS


def test_replica_override_without_replicas_says_so(settings):
    settings.ROUTING_REPLICAS = []
    route = route_request("GET", Override("replica", "header"))
    assert (route.alias, route.reason) == ("primary", "no-replicas")


@pytest.mark.parametrize("value", ["replica", "replica1", "replica2"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_replica_override_on_unsafe_request_is_refused(method, value):
    with pytest.raises(OverrideRejected) as refused:
        route_request(method, Override(value, "header"))
    assert refused.value.code == "replica_not_writable"
    assert refused.value.allowed == ("primary",)
    assert method in refused.value.detail
