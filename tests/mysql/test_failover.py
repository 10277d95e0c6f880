"""Servers that die, stop or stop replicating, under a live server.

A live server (a real threaded WSGI server in this process) opens and closes
its connections per request, as production does, so a killed server is seen
the way a deployment would see it.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import pytest
from django.db import connections

from tests.conftest import PASSWORD, routed_db
from tests.replication import topology, wait_for_replicas

pytestmark = routed_db


def call(live_server, method: str, path: str, body: dict | None = None, user: str | None = None):
    """(status, headers, JSON body) of one HTTP request to the live server."""
    headers = {"Content-Type": "application/json"}
    if user:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{live_server.url}{path}", data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - the test's own server
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


@pytest.fixture
def restart_servers():
    """Whatever a test stops or kills is started again, and replication catches up."""
    yield topology()
    topology().up()
    wait_for_replicas(timeout=30)
    # This thread's connections to a restarted server are dead: reopen them
    # for the test's clean-up.
    connections.close_all()


def wait_until(condition, seconds: float = 15, step: float = 0.1):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(step)


def test_a_killed_replica_is_left_out_and_rejoins(live_server, article, settings, restart_servers):
    settings.ROUTING_COOLDOWN = 1
    before = [call(live_server, "GET", "/api/articles/") for _ in range(10)]
    assert {status for status, _, _ in before} == {200}

    restart_servers.servers["replica1"].kill()
    after = [call(live_server, "GET", "/api/articles/") for _ in range(40)]
    assert {status for status, _, _ in after} == {200}, "every request still succeeds"
    assert {headers["X-DB-Alias"] for _, headers, _ in after} == {"replica2"}, "none reports the dead replica"
    assert all(body["count"] == 1 for _, _, body in after)

    restart_servers.up()
    wait_for_replicas(timeout=30)
    wait_until(lambda: call(live_server, "GET", "/api/articles/")[1]["X-DB-Alias"] == "replica1")


def test_with_the_primary_stopped_writes_503_and_reads_go_on(live_server, alice, article, restart_servers):
    restart_servers.servers["primary"].stop()
    status, headers, body = call(live_server, "POST", "/api/articles/", {"title": "during the outage"}, user="alice")
    assert status == 503
    assert body["code"] == "primary_unavailable"
    assert headers["Retry-After"] == "5"
    assert headers["X-DB-Route-Reason"] == "primary-unavailable"
    reads = [call(live_server, "GET", f"/api/articles/{article.pk}/") for _ in range(10)]
    assert {status for status, _, _ in reads} == {200}
    assert {headers["X-DB-Alias"] for _, headers, _ in reads} <= {"replica1", "replica2"}
    # The author comes from the auth database's copy on a replica server.
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


def test_a_replica_whose_replication_stopped_is_excluded(live_server, article, settings, restart_servers):
    settings.ROUTING_COOLDOWN = 0.5
    restart_servers.stop_replication("replica1")
    try:
        status, _, health = call(live_server, "GET", "/api/health/")
        [replica1] = [alias for alias in health["aliases"] if alias["alias"] == "replica1"]
        assert (status, health["status"]) == (200, "degraded")
        assert replica1["in_pick"] is False
        assert replica1["reachable"] is True
        assert replica1["reason"].startswith("replication stopped (IO No, SQL No)")
        served = {call(live_server, "GET", "/api/articles/")[1]["X-DB-Alias"] for _ in range(20)}
        assert served == {"replica2"}
    finally:
        restart_servers.start_replication("replica1")
    wait_for_replicas()
    wait_until(lambda: call(live_server, "GET", "/api/articles/")[1]["X-DB-Alias"] == "replica1")
