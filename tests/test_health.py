"""Replica health, fallback and primary outages, on whichever engine the suite runs on.

Failures are real: an alias is pointed at a database that cannot be opened.
tests/mysql/ kills and stops real servers.
"""

import time

from routing.health import registry
from tests.breakage import unreachable
from tests.conftest import REPLICAS, routed_db

pytestmark = routed_db


def test_healthy_replicas_are_both_in_the_pick():
    assert sorted(registry.pickable()) == REPLICAS


def _health_once_replicas_applied_everything(client, timeout: float = 15.0):
    """``/api/health/`` once every replica reports no lag, or at the timeout.

    On real replication a replica still applying the fixtures' writes (or one
    whose last event's timestamp rounds up) reports a second of lag for a
    moment; a caught-up replica must come down to 0 within a few health
    intervals.
    """
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/api/health/")
        lags = [alias["lag_seconds"] for alias in response.json()["aliases"] if alias["alias"] in REPLICAS]
        if all(lag == 0 for lag in lags) or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


def test_health_endpoint_on_healthy_databases(anon):
    response = _health_once_replicas_applied_everything(anon)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    by_alias = {alias["alias"]: alias for alias in body["aliases"]}
    assert set(by_alias) == {"primary", "replica1", "replica2", "auth_db"}
    assert by_alias["primary"]["reachable"] is True
    for replica in REPLICAS:
        assert by_alias[replica]["in_pick"] is True
        assert by_alias[replica]["reason"] == ""
        assert by_alias[replica]["lag_seconds"] == 0


def test_a_replica_that_cannot_be_reached_is_skipped_and_reported(anon, article, tmp_path, settings):
    settings.ROUTING_COOLDOWN = 60
    with unreachable("replica1", tmp_path):
        served = [anon.get("/api/articles/") for _ in range(20)]
        health = anon.get("/api/health/").json()
    assert {response.status_code for response in served} == {200}
    assert {response.headers["X-DB-Alias"] for response in served} == {"replica2"}
    # Either the health check found it first, or the first request that tried fell back.
    assert {response.headers["X-DB-Route-Reason"] for response in served} <= {"replica-pick", "replica-fallback"}
    [replica1] = [alias for alias in health["aliases"] if alias["alias"] == "replica1"]
    assert replica1["in_pick"] is False
    assert replica1["reachable"] is False
    assert "unreachable" in replica1["reason"] or "connection failed" in replica1["reason"]
    assert health["status"] == "degraded"


def test_a_replica_that_cannot_be_reached_has_an_unknown_lag(anon, tmp_path):
    # Measured while healthy first, so a stale number would still be in the cache.
    healthy = {alias["alias"]: alias for alias in anon.get("/api/health/").json()["aliases"]}
    assert healthy["replica1"]["lag_seconds"] is not None
    with unreachable("replica1", tmp_path):
        body = anon.get("/api/health/").json()
    [replica1] = [alias for alias in body["aliases"] if alias["alias"] == "replica1"]
    assert replica1["reachable"] is False
    assert replica1["lag_seconds"] is None  # unknown, not 0.0
    assert replica1["position"] == ""
    [replica2] = [alias for alias in body["aliases"] if alias["alias"] == "replica2"]
    assert replica2["lag_seconds"] is not None


def test_the_first_request_to_a_dead_replica_falls_back(anon, article, tmp_path, settings):
    settings.ROUTING_HEALTH_INTERVAL = 3600  # the cached verdict says "healthy"
    assert sorted(registry.pickable()) == REPLICAS
    with unreachable("replica2", tmp_path):
        responses = [anon.get("/api/articles/") for _ in range(30)]
    assert all(response.status_code == 200 for response in responses)
    reasons = [(response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) for response in responses]
    # At most one request found replica2 dead; it was retried on replica1, and
    # from then on replica2 was out of the pick.
    assert reasons.count(("replica1", "replica-fallback")) <= 1
    assert {alias for alias, _ in reasons} == {"replica1"}
    assert registry.pickable() == ("replica1",)


def test_an_excluded_replica_rejoins_after_the_cooldown(anon, article, tmp_path, settings):
    settings.ROUTING_COOLDOWN = 0.3
    with unreachable("replica1", tmp_path):
        assert registry.pickable() == ("replica2",)
    time.sleep(0.35)
    assert sorted(registry.pickable()) == REPLICAS


def test_with_no_healthy_replica_reads_go_to_the_primary(anon, article, tmp_path):
    with unreachable("replica1", tmp_path), unreachable("replica2", tmp_path):
        response = anon.get("/api/articles/")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == (
        "primary",
        "no-healthy-replica",
    )


def test_an_explicit_replica_is_not_replaced(anon, tmp_path):
    # The override is a debugging tool: naming a dead replica shows it is dead.
    with unreachable("replica1", tmp_path):
        response = anon.get("/api/articles/", headers={"X-DB-Alias": "replica1"})
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_writes_are_refused_cleanly_while_the_primary_is_down(alice_client, anon, article, tmp_path):
    with unreachable("primary", tmp_path):
        refused = alice_client.post("/api/articles/", {"title": "Lost?"}, format="json")
        read = anon.get("/api/articles/")
        health = anon.get("/api/health/")
    assert refused.status_code == 503
    assert refused.json()["code"] == "primary_unavailable"
    assert "nothing was changed" in refused.json()["detail"]
    assert refused.headers["Retry-After"] == "5"
    assert (refused.headers["X-DB-Alias"], refused.headers["X-DB-Route-Reason"]) == ("primary", "primary-unavailable")
    assert read.status_code == 200
    assert read.headers["X-DB-Alias"] in REPLICAS
    assert health.status_code == 503
    assert health.json()["status"] == "down"
    # Back again: writes work without a restart.
    created = alice_client.post("/api/articles/", {"title": "After the outage"}, format="json")
    assert created.status_code == 201
    assert sorted(a.title for a in type(article).objects.all()) == ["After the outage", "First"]


def test_the_pick_is_remembered_until_a_verdict_can_change(settings):
    settings.ROUTING_HEALTH_INTERVAL = 3600
    first = registry.pickable()
    assert registry.pickable() is first  # no work per request
    registry.mark_failed("replica1", "gone")
    assert registry.pickable() == ("replica2",)
