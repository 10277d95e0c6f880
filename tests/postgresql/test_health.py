"""/api/health/ on real PostgreSQL standbys: lag, a deliberate delay, an idle primary."""

from __future__ import annotations

import time

import pytest
from django.db import connections

from tests.conftest import REPLICAS, routed_db
from tests.postgresql.conftest import DELAY_SECONDS
from tests.replication import query_one, wait_for_replicas

pytestmark = routed_db


def aliases(client) -> dict[str, dict]:
    response = client.get("/api/health/")
    assert response.status_code == 200, response.content
    return {alias["alias"]: alias for alias in response.json()["aliases"]}


def test_healthy_standbys_are_in_the_pick_with_no_lag_and_no_delay(anon):
    body = anon.get("/api/health/").json()
    assert body["status"] == "ok"
    by_alias = {alias["alias"]: alias for alias in body["aliases"]}
    for replica in REPLICAS:
        assert by_alias[replica]["reachable"] is True
        assert by_alias[replica]["in_pick"] is True
        assert by_alias[replica]["reason"] == ""
        assert by_alias[replica]["lag_seconds"] == 0
        assert by_alias[replica]["delay_seconds"] == 0


def test_an_idle_primary_does_not_make_a_healthy_standby_look_lagging(alice_client, anon):
    """pg_last_xact_replay_timestamp() stands still while nothing commits; the lag must not grow with it."""
    assert alice_client.post("/api/articles/", {"title": "and then silence"}, format="json").status_code == 201
    wait_for_replicas()
    idle = 6  # longer than ROUTING_MAX_REPLICA_LAG (5 s)
    time.sleep(idle)
    by_alias = aliases(anon)
    for replica in REPLICAS:
        assert by_alias[replica]["in_pick"] is True, by_alias[replica]
        assert by_alias[replica]["lag_seconds"] == 0, f"{replica} caught up, idle {idle} s: {by_alias[replica]}"
    served = {anon.get("/api/articles/").headers["X-DB-Alias"] for _ in range(20)}
    assert served == set(REPLICAS)


@pytest.mark.replication_lag
def test_a_deliberate_delay_is_reported_as_delay_not_lag(alice_client, anon, delayed_replica2):
    """recovery_min_apply_delay holds each commit back on purpose: health shows it as delay_seconds.

    While a commit is held back, the standby is not "lagging" (causal tokens
    keep a client's own reads consistent); it stays in the pick.
    """
    wait_for_replicas()
    idle = aliases(anon)
    assert idle["replica2"]["delay_seconds"] == DELAY_SECONDS
    assert idle["replica1"]["delay_seconds"] == 0
    assert (idle["replica2"]["lag_seconds"], idle["replica2"]["in_pick"]) == (0, True), idle["replica2"]

    assert alice_client.post("/api/articles/", {"title": "held back"}, format="json").status_code == 201
    started = time.monotonic()
    held = aliases(anon)["replica2"]
    assert time.monotonic() - started < DELAY_SECONDS, "too slow to look while the commit is held back"
    assert held["delay_seconds"] == DELAY_SECONDS
    assert held["in_pick"] is True, held
    assert held["lag_seconds"] is not None
    assert held["lag_seconds"] < 1, f"the {DELAY_SECONDS} s delay is not lag: {held}"


@pytest.fixture
def replay_blocked_on_replica2(transactional_db):
    """Real lag on replica2: its replay waits behind a query of its own, as a long report on a standby makes it.

    A transaction on replica2 holds a lock on a table; the primary then alters
    that table. Replaying the primary's exclusive lock waits for the standby's
    query (up to max_standby_streaming_delay, 30 s), and every commit after it
    waits too: WAL arrives, nothing is applied, the lag grows.
    """
    query_one("primary", "CREATE TABLE lag_blocker (id int)")
    wait_for_replicas()
    wrapper = connections["replica2"]
    reader = wrapper.get_new_connection(wrapper.get_connection_params())
    try:
        reader.execute("SELECT count(*) FROM lag_blocker")  # opens a transaction that keeps its lock
        query_one("primary", "ALTER TABLE lag_blocker ADD COLUMN blocked int")
        yield
    finally:
        reader.rollback()
        reader.close()
        query_one("primary", "DROP TABLE lag_blocker")
        wait_for_replicas(timeout=30)


@pytest.mark.replication_lag
def test_health_excludes_a_lagging_standby_and_says_why(alice_client, anon, replay_blocked_on_replica2, settings):
    settings.ROUTING_MAX_REPLICA_LAG = 0.5
    # Lag counts when it is over the limit in time and in bytes (GitLab's rule);
    # one article is a few hundred bytes of WAL, far under the 16 MB default.
    settings.ROUTING_MAX_REPLICA_LAG_BYTES = 0
    assert alice_client.post("/api/articles/", {"title": "makes replica2 lag"}, format="json").status_code == 201
    deadline = time.monotonic() + 10
    while True:
        replica2 = aliases(anon)["replica2"]
        if not replica2["in_pick"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert replica2["in_pick"] is False, replica2
    assert replica2["reachable"] is True
    assert "over the 0.5 s limit" in replica2["reason"]
    assert replica2["lag_seconds"] > 0.5
    assert replica2["lag_bytes"] > 0
    reads = {anon.get("/api/articles/").headers["X-DB-Alias"] for _ in range(20)}
    assert reads == {"replica1"}
