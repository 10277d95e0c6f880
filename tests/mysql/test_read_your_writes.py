"""Read-your-writes on real replication, with replica2 applying changes 2 s late.

These tests print the numbers the README quotes (run with -s, or read the
captured output of a failing run).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from rest_framework.test import APIClient

from tests.conftest import basic_auth, routed_db
from tests.mysql.conftest import DELAY_SECONDS

pytestmark = [routed_db, pytest.mark.replication_lag]

PAIRS = 100


def writer(username: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(username))
    return client


def write_then_read(author: APIClient, reader: APIClient, *, send_token: bool, index: int) -> tuple[bool, str, str]:
    """One pair: (stale?, alias that served the read, its reason)."""
    created = author.post("/api/articles/", {"title": f"pair {index}"}, format="json")
    assert created.status_code == 201
    headers = {"X-DB-Causal-Token": created.headers["X-DB-Causal-Token"]} if send_token else {}
    read = reader.get(f"/api/articles/{created.json()['id']}/", headers=headers)
    assert read.status_code in {200, 404}
    return read.status_code == 404, read.headers["X-DB-Alias"], read.headers["X-DB-Route-Reason"]


def summarize(label: str, results: list[tuple[bool, str, str]]) -> dict:
    stale = sum(is_stale for is_stale, _, _ in results)
    served = Counter(alias for _, alias, _ in results)
    reasons = Counter(reason for _, _, reason in results)
    return {"label": label, "pairs": len(results), "stale": stale, "served": dict(served), "reasons": dict(reasons)}


def report(capsys, *rows: dict) -> None:
    with capsys.disabled():
        print(f"\n\nread-your-writes, replica2 delayed {DELAY_SECONDS} s, {PAIRS} write-then-read pairs each:")
        for row in rows:
            print(f"  {row['label']:<28} stale {row['stale']:>3}   served {row['served']}   reasons {row['reasons']}")


def test_causal_tokens_read_your_writes_from_replicas(alice, delayed_replica2, capsys):
    author, reader = writer("alice"), APIClient()
    blind = [write_then_read(author, reader, send_token=False, index=n) for n in range(PAIRS)]
    causal = [write_then_read(author, reader, send_token=True, index=n) for n in range(PAIRS)]
    without, with_token = summarize("without token", blind), summarize("causal token (default)", causal)
    report(capsys, without, with_token)

    assert without["stale"] > 0, "the lag should be visible without a token"
    assert with_token["stale"] == 0
    replica_reads = sum(count for alias, count in with_token["served"].items() if alias != "primary")
    assert replica_reads > PAIRS * 0.8, "most causal reads should still be served by a replica"
    assert with_token["served"].get("replica1", 0) > with_token["served"].get("replica2", 0)
    assert set(with_token["reasons"]) <= {"causal-replica", "causal-primary"}


def test_window_mode_pins_the_writer_then_lets_go(alice, delayed_replica2, settings, capsys):
    settings.ROUTING_READ_YOUR_WRITES = "window"
    settings.ROUTING_PIN_SECONDS = 1
    author = writer("alice")  # keeps the db_causal cookie, as a browser would
    inside = [write_then_read(author, author, send_token=False, index=n) for n in range(20)]
    assert {alias for _, alias, _ in inside} == {"primary"}
    assert {reason for _, _, reason in inside} == {"sticky-window"}
    assert sum(stale for stale, _, _ in inside) == 0
    time.sleep(1.2)
    after = [author.get("/api/articles/").headers for _ in range(20)]
    assert {headers["X-DB-Alias"] for headers in after} <= {"replica1", "replica2"}
    assert {headers["X-DB-Route-Reason"] for headers in after} == {"replica-pick"}
    report(capsys, summarize("window (1 s)", inside))


def test_health_excludes_a_lagging_replica_and_says_why(alice, delayed_replica2, settings, anon):
    # The server reports lag in whole seconds; with a 2 s delay it reads 1 or 2.
    settings.ROUTING_MAX_REPLICA_LAG = 0.5
    writer("alice").post("/api/articles/", {"title": "makes replica2 lag"}, format="json")
    # replica1 applies the write at once, but while it does, the server may
    # report 1 s for it too (whole seconds, under load): wait for the state
    # under test, replica1 in the pick and replica2 out of it.
    deadline = time.monotonic() + 10
    while True:
        health = {alias["alias"]: alias for alias in anon.get("/api/health/").json()["aliases"]}
        replica1, replica2 = health["replica1"], health["replica2"]
        if (replica1["in_pick"] and not replica2["in_pick"]) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert replica1["in_pick"] is True, replica1
    assert replica2["in_pick"] is False
    assert "over the 0.5 s limit" in replica2["reason"]
    assert replica2["lag_seconds"] >= 1
    reads = {anon.get("/api/articles/").headers["X-DB-Alias"] for _ in range(20)}
    assert reads == {"replica1"}
