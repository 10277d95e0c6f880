"""No routing state leaks between requests, under a threaded and an async server.

Thousands of concurrent requests, each asking for something different; every
response must report what its own request asked for. A view that raises
after pinning the primary is among them, and the request that its thread
serves next must be unaffected.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from tests.live.server import demo_authorization, live_server
from tests.live.stamp import STAMP_HEADER

pytestmark = pytest.mark.live

REQUESTS = 5000
CLIENTS = 16
REPLICAS = {"replica1", "replica2"}


@dataclass(frozen=True)
class Probe:
    """One kind of request and what its response must say."""

    name: str
    method: str
    path: str
    status: int
    aliases: frozenset[str]
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None


def _probes() -> list[Probe]:
    one = frozenset
    write = {"Authorization": demo_authorization(), "Content-Type": "application/json"}
    probes = [
        Probe("no override", "GET", "/api/articles/", 200, one(REPLICAS), "replica-pick"),
        Probe("header primary", "GET", "/api/articles/", 200, one({"primary"}), "header", {"X-DB-Alias": "primary"}),
        Probe("param primary", "GET", "/api/articles/?db=primary", 200, one({"primary"}), "query-param"),
        Probe("header replica", "GET", "/api/comments/", 200, one(REPLICAS), "header", {"X-DB-Alias": "replica"}),
        Probe("invalid header", "GET", "/api/articles/", 400, one({"none"}), "override-rejected", {"X-DB-Alias": "x"}),
        Probe("invalid param", "GET", "/api/articles/?db=auth_db", 400, one({"none"}), "override-rejected"),
        Probe("write", "POST", "/api/articles/", 201, one({"primary"}), "unsafe-method", write, {"title": "Live"}),
        Probe(
            "write to a replica",
            "POST",
            "/api/articles/",
            400,
            one({"none"}),
            "override-rejected",
            {**write, "X-DB-Alias": "replica2"},
            {"title": "Never"},
        ),
        Probe("no query, default", "GET", "/api/test/no-query/", 200, one(REPLICAS), "replica-pick"),
    ]
    for replica in sorted(REPLICAS):
        probes += [
            Probe(f"header {replica}", "GET", "/api/articles/", 200, one({replica}), "header", {"X-DB-Alias": replica}),
            Probe(f"param {replica}", "GET", f"/api/articles/?db={replica}", 200, one({replica}), "query-param"),
            Probe(
                f"raise after pinning, on {replica}",
                "GET",
                "/api/test/raise/",
                500,
                one({replica}),
                "header",
                {"X-DB-Alias": replica},
            ),
            Probe(
                f"no query, {replica}", "GET", f"/api/test/no-query/?db={replica}", 200, one({replica}), "query-param"
            ),
        ]
    return probes


@dataclass
class Outcome:
    probe: Probe
    status: int
    alias: str
    reason: str
    stamp: str
    body: bytes

    def problems(self) -> list[str]:
        probe, found = self.probe, []
        if self.status != probe.status:
            found.append(f"status {self.status}, expected {probe.status}")
        if self.alias not in probe.aliases:
            found.append(f"X-DB-Alias {self.alias!r}, expected one of {sorted(probe.aliases)}")
        if self.reason != probe.reason:
            found.append(f"X-DB-Route-Reason {self.reason!r}, expected {probe.reason!r}")
        if probe.path.startswith("/api/test/no-query/") and self.status == 200:
            # The view itself reports the route it saw: the one of its own request.
            seen = json.loads(self.body)["route"]
            if seen != self.alias:
                found.append(f"the view saw route {seen!r} but the response says {self.alias!r}")
        if self.status >= 400 and not _error_code(self.body):
            found.append(f"an error without a JSON code: {self.body[:80]!r}")
        return found


def _error_code(body: bytes) -> str | None:
    try:
        return json.loads(body).get("code")
    except ValueError:
        return None


def _send(server, plan: list[Probe]) -> list[Outcome]:
    outcomes, connection = [], server.connection()
    for probe in plan:
        body = json.dumps(probe.body).encode() if probe.body is not None else None
        connection.request(probe.method, probe.path, body=body, headers=probe.headers)
        response = connection.getresponse()
        content = response.read()
        outcomes.append(
            Outcome(
                probe,
                response.status,
                response.getheader("X-DB-Alias", ""),
                response.getheader("X-DB-Route-Reason", ""),
                response.getheader(STAMP_HEADER, ""),
                content,
            )
        )
    connection.close()
    return outcomes


def _hammer(server) -> list[Outcome]:
    probes = _probes()
    plan = [probes[i % len(probes)] for i in range(REQUESTS)]
    random.Random(2026).shuffle(plan)
    shares = [plan[client::CLIENTS] for client in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as clients:
        return [outcome for outcomes in clients.map(lambda share: _send(server, share), shares) for outcome in outcomes]


def _next_on_same_thread(outcomes: list[Outcome]) -> list[Outcome]:
    """For each request that raised: the request its server thread served next."""
    by_stamp = {}
    for outcome in outcomes:
        if outcome.stamp:
            worker, _, sequence = outcome.stamp.rpartition("-")
            by_stamp[(worker, int(sequence))] = outcome
    followers = []
    for (worker, sequence), outcome in by_stamp.items():
        if outcome.probe.path == "/api/test/raise/" and (worker, sequence + 1) in by_stamp:
            followers.append(by_stamp[(worker, sequence + 1)])
    return followers


@pytest.mark.parametrize("kind", ["gunicorn-gthread", "uvicorn-asgi"])
def test_every_response_reports_its_own_route(kind, tmp_path):
    with live_server(kind, tmp_path, settings_module="tests.settings_live", ROUTING_ALLOW_OVERRIDE="all") as server:
        outcomes = _hammer(server)

    assert len(outcomes) == REQUESTS
    mismatches = [(outcome.probe.name, problem) for outcome in outcomes for problem in outcome.problems()]
    assert mismatches == [], f"{len(mismatches)} mismatches, e.g. {mismatches[:10]}"
    # Every kind of request really ran, and the raising view left nothing behind.
    assert {outcome.probe.name for outcome in outcomes} == {probe.name for probe in _probes()}
    followers = _next_on_same_thread(outcomes)
    assert all(not follower.problems() for follower in followers)
    if kind == "uvicorn-asgi":
        # Django runs each ASGI request's sync code in a thread of its own
        # (asgiref's per-request thread-sensitive context): no thread serves
        # a second request, so only the context variables could carry state
        # over, and the mismatch count above covers them.
        assert {outcome.stamp.rpartition("-")[2] for outcome in outcomes if outcome.stamp} == {"1"}
    else:
        assert len(followers) > 10, "too few raises were followed by a request on the same thread"
    served = {outcome.alias for outcome in outcomes}
    assert served == {"primary", "replica1", "replica2", "none"}
