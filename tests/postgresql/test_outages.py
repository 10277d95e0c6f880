"""Standbys and the primary of the suite's cluster killed, stopped or cut off, under a live server.

A live server (a real threaded WSGI server in this process) opens and closes
its connections per request, as production does, so a killed server is seen
the way a deployment would see it. Each test starts again what it stopped.
"""

from __future__ import annotations

import pytest
from django.db import connections

from tests.conftest import routed_db
from tests.postgresql.http_calls import call, wait_until
from tests.replication import topology, wait_for_replicas

pytestmark = routed_db


@pytest.fixture
def restart_servers():
    """Whatever a test stops, kills or points elsewhere is started and pointed back, and replication catches up."""
    yield topology()
    topology().up()
    wait_for_replicas(timeout=30)
    # This thread's connections to a restarted server are dead: reopen them
    # for the test's clean-up.
    connections.close_all()


def health_of(live_server, alias: str) -> tuple[int, dict, dict]:
    status, _, health = call(live_server, "GET", "/api/health/")
    [entry] = [entry for entry in health["aliases"] if entry["alias"] == alias]
    return status, health, entry


def test_a_killed_standby_is_left_out_and_rejoins(live_server, article, settings, restart_servers):
    settings.ROUTING_COOLDOWN = 1
    before = [call(live_server, "GET", "/api/articles/") for _ in range(10)]
    assert {status for status, _, _ in before} == {200}

    restart_servers.servers["replica1"].kill()
    after = [call(live_server, "GET", "/api/articles/") for _ in range(40)]
    assert {status for status, _, _ in after} == {200}, "every request still succeeds"
    assert {headers["X-DB-Alias"] for _, headers, _ in after} == {"replica2"}, "none reports the dead standby"
    assert all(body["count"] == 1 for _, _, body in after)

    status, health, replica1 = health_of(live_server, "replica1")
    assert (status, health["status"]) == (200, "degraded")
    assert (replica1["reachable"], replica1["in_pick"]) == (False, False)
    assert replica1["lag_seconds"] is None, "the lag of a standby that cannot be reached is unknown"

    restart_servers.up()
    wait_for_replicas(timeout=30)
    wait_until(lambda: call(live_server, "GET", "/api/articles/")[1]["X-DB-Alias"] == "replica1", what="rejoined")


def test_with_the_primary_stopped_writes_503_and_reads_go_on(live_server, alice, article, restart_servers):
    restart_servers.servers["primary"].stop()
    status, headers, body = call(live_server, "POST", "/api/articles/", {"title": "during the outage"}, user="alice")
    assert status == 503, body
    assert body["code"] == "primary_unavailable"
    assert headers["Retry-After"] == "5"
    assert headers["X-DB-Route-Reason"] == "primary-unavailable"
    reads = [call(live_server, "GET", f"/api/articles/{article.pk}/") for _ in range(10)]
    assert {status for status, _, _ in reads} == {200}, reads
    assert {headers["X-DB-Alias"] for _, headers, _ in reads} <= {"replica1", "replica2"}
    # The author comes from the auth database's copy on a standby.
    assert {body["author"] for _, _, body in reads} == {"alice"}
    assert all("auth_replica" in headers["Server-Timing"] for _, headers, _ in reads)
    health_status, _, health = call(live_server, "GET", "/api/health/")
    assert (health_status, health["status"]) == (503, "down")

    restart_servers.up()
    status, _, body = call(live_server, "POST", "/api/articles/", {"title": "after the outage"}, user="alice")
    assert status == 201, body
    wait_for_replicas()
    status, _, listing = call(live_server, "GET", "/api/articles/?db=primary")
    assert [item["title"] for item in listing["results"]] == ["after the outage", "First"]


def test_a_standby_that_receives_no_wal_is_excluded(live_server, article, settings, restart_servers):
    settings.ROUTING_COOLDOWN = 0.5
    # No primary_conninfo: the WAL receiver stops (no row in pg_stat_wal_receiver).
    restart_servers.admin_sql("replica1", "ALTER SYSTEM SET primary_conninfo = '';\nSELECT pg_reload_conf();\n")
    wait_until(
        lambda: restart_servers.admin_sql("replica1", "SELECT count(*) FROM pg_stat_wal_receiver;").strip() == "0",
        what="replica1's WAL receiver stopped",
    )
    status, health, replica1 = health_of(live_server, "replica1")
    assert (status, health["status"]) == (200, "degraded")
    assert replica1["in_pick"] is False
    assert replica1["reachable"] is True
    assert replica1["reason"], "the health check says why"
    served = {call(live_server, "GET", "/api/articles/")[1]["X-DB-Alias"] for _ in range(20)}
    assert served == {"replica2"}

    restart_servers.up()  # points replica1 at the primary again
    wait_for_replicas()
    wait_until(lambda: call(live_server, "GET", "/api/articles/")[1]["X-DB-Alias"] == "replica1", what="rejoined")
