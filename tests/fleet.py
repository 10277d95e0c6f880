"""A fleet: two gunicorn servers (two workers each) on one database topology and one Redis.

What a team running several hosts relies on, proven end to end: a causal
token written on one server is honoured by the other; the write throttle and
the login limit count across both servers and all their workers; each
server's /metrics counts exactly the requests that server served; a replica
stopped mid-run leaves routing_replica_in_pick on both servers.

The test functions here are collected by the modules that import them, one
per topology (tests/live/ on SQLite, tests/mysql/, tests/postgresql/); each
module provides the ``fleet`` fixture. The Redis server is the test's own (own
port, no persistence), never a machine's service.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live.server import DEMO_PASSWORD, DEMO_USER, LiveServer, demo_authorization, free_port, live_server

WRITE_LIMIT = 6  # writes per minute per user, across the fleet
LOGIN_LIMIT = 4  # failed logins per username and address, across the fleet
HEALTH_INTERVAL = 1.0  # ROUTING_HEALTH_INTERVAL of every server
REPLICAS = ("replica1", "replica2")


# Redis ------------------------------------------------------------------------------------------


@contextmanager
def redis_server(folder: Path):
    """A Redis of the test's own on a free port, without persistence; yields its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert process.poll() is None, "redis-server exited"
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def flush(redis_url: str) -> None:
    """Forget every count (throttle windows, login failures): each test starts from none."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


# HTTP -------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: object = field(repr=False)


def call(server: LiveServer, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> Reply:
    connection = server.connection()
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    kind = response.headers.get("Content-Type", "")
    return Reply(response.status, response.headers, json.loads(raw) if kind.startswith("application/json") else raw)


def as_demo(**headers: str) -> dict[str, str]:
    return {"Authorization": demo_authorization(), **headers}


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


# Metrics ----------------------------------------------------------------------------------------


def scrape(server: LiveServer) -> dict[str, float]:
    """One /metrics scrape: ``name|label=value|...`` to its value."""
    reply = call(server, "GET", "/metrics")
    assert reply.status == 200, reply.body
    samples = {}
    for family in text_string_to_metric_families(reply.body.decode()):
        for sample in family.samples:
            key = sample.name + "".join(f"|{name}={value}" for name, value in sorted(sample.labels.items()))
            samples[key] = sample.value
    return samples


def requests_served(samples: dict[str, float]) -> float:
    return sum(value for key, value in samples.items() if key.startswith("routing_requests_total|"))


def in_pick(server: LiveServer, alias: str) -> float | None:
    return scrape(server).get(f"routing_replica_in_pick|alias={alias}")


def worker_pids(folder: Path) -> set[str]:
    """The workers that have written metrics to a multiprocess folder."""
    return {match.group(1) for path in folder.iterdir() if (match := re.match(r"counter_(\d+)\.db$", path.name))}


# The fleet --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fleet:
    servers: tuple[LiveServer, ...]
    metrics_dirs: tuple[Path, ...]
    redis_url: str
    topology: object | None = None  # the suite's MySQL Topology or PostgreSQL Cluster; None on SQLite


@contextmanager
def running_fleet(folder: Path, *, databases: dict[str, str] | None = None, topology=None, count: int = 2):
    """``count`` gunicorn servers on one data folder (SQLite) or one set of database URLs, and one Redis."""
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server(folder))
        servers, metrics_dirs = [], []
        for number in range(1, count + 1):
            metrics_dir = folder / f"prometheus-{number}"  # each host has its own
            server = stack.enter_context(
                live_server(
                    "gunicorn-gthread",
                    folder / "var",
                    name=f"server-{number}",
                    REDIS_URL=redis_url,
                    PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
                    WRITE_THROTTLE_RATE=f"{WRITE_LIMIT}/min",
                    LOGIN_FAILURE_LIMIT=str(LOGIN_LIMIT),
                    ROUTING_HEALTH_INTERVAL=str(HEALTH_INTERVAL),
                    ROUTING_COOLDOWN="2",
                    **(databases or {}),
                )
            )
            servers.append(server)
            metrics_dirs.append(metrics_dir)
        yield Fleet(tuple(servers), tuple(metrics_dirs), redis_url, topology)


def database_urls() -> dict[str, str]:
    """The suite's database URLs (MySQL or PostgreSQL topology), for servers of their own."""
    return {key: value for key, value in os.environ.items() if key.endswith("DATABASE_URL")}


@pytest.fixture(scope="module", name="fleet")
def replicated_fleet(tmp_path_factory, django_db_blocker):
    """``fleet`` on the suite's replication topology, for tests/mysql/ and tests/postgresql/ to import."""
    from django.db import connections

    from tests.replication import topology, wait_for_replicas

    with running_fleet(tmp_path_factory.mktemp("fleet"), databases=database_urls(), topology=topology()) as running:
        yield running
    # Whatever a test stopped is running again; the next tests find the replicas caught up.
    topology().up()
    with django_db_blocker.unblock():
        wait_for_replicas(timeout=30)
        connections.close_all()


def concurrent_reads(server: LiveServer, count: int) -> set[int]:
    """The statuses of ``count`` list reads, eight at a time (so both workers serve some)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return {reply.status for reply in pool.map(lambda _: call(server, "GET", "/api/articles/"), range(count))}


def on_every_worker(fleet: Fleet) -> None:
    """Reads on every server until each of its workers has served some (and so written its metrics)."""
    for server, metrics_dir in zip(fleet.servers, fleet.metrics_dirs, strict=True):
        for _ in range(20):
            assert concurrent_reads(server, 40) == {200}
            if len(worker_pids(metrics_dir)) >= 2:
                break
        assert len(worker_pids(metrics_dir)) >= 2, f"both workers of {server.url} served requests"


def wait_until(condition, seconds: float, what: str, step: float = 0.05) -> float:
    """Seconds it took ``condition`` to hold; fails after ``seconds``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"{what}: not within {seconds} s"
        time.sleep(step)
    return time.monotonic() - started


# The tests (collected where a module imports them and provides ``fleet``) ---------------------------


def test_a_causal_token_from_one_server_is_honoured_by_the_other(fleet):
    flush(fleet.redis_url)
    first, second = fleet.servers[:2]
    written = call(first, "POST", "/api/articles/", {"title": "Written on A", "body": "read on B"}, as_demo())
    assert written.status == 201, written.body
    token = written.headers["X-DB-Causal-Token"]

    read = call(second, "GET", f"/api/articles/{written.body['id']}/", headers={"X-DB-Causal-Token": token})
    assert read.status == 200, read.body
    assert read.headers["X-DB-Route-Reason"] == "causal-replica", "B verified A's token (same SECRET_KEY)"
    assert read.headers["X-DB-Alias"] in REPLICAS
    assert read.body["title"] == "Written on A", "the replica B chose has A's write"
    samples = scrape(second)
    assert samples.get("routing_causal_reads_total|outcome=replica", 0) >= 1
    assert samples.get("routing_causal_reads_total|outcome=invalid", 0) == 0


def test_the_write_throttle_holds_across_servers_and_workers(fleet):
    flush(fleet.redis_url)
    servers = fleet.servers
    # Twice the limit at once, spread over both servers (and so over their workers).
    attempts = [servers[number % len(servers)] for number in range(2 * WRITE_LIMIT)]

    def write(server):
        return call(server, "POST", "/api/articles/", {"title": "throttled?", "body": "."}, as_demo())

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        replies = list(pool.map(write, attempts))
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [201] * WRITE_LIMIT + [429] * WRITE_LIMIT, "exactly the limit, across the whole fleet"
    for reply in replies:
        if reply.status == 429:
            assert reply.body["code"] == "throttled"
            assert 1 <= int(reply.headers["Retry-After"]) <= 60
    # The next write is refused wherever it lands.
    for server in servers:
        assert write(server).status == 429
    # Reads are never throttled.
    assert {call(server, "GET", "/api/articles/").status for server in servers} == {200}


def test_the_login_limit_holds_across_servers(fleet):
    flush(fleet.redis_url)
    servers = fleet.servers
    for attempt in range(LOGIN_LIMIT):  # wrong passwords, alternating between the servers
        reply = call(servers[attempt % len(servers)], "GET", "/api/articles/", headers=basic(DEMO_USER, "wrong"))
        assert reply.status == 401, reply.body
    for server in servers:
        # Even the right password is not checked now: the username is locked out everywhere.
        reply = call(server, "GET", "/api/articles/", headers=basic(DEMO_USER, DEMO_PASSWORD))
        assert reply.status == 429, reply.body
        assert reply.body["code"] == "login_throttled"
        assert 1 <= int(reply.headers["Retry-After"]) <= 300
    flush(fleet.redis_url)
    assert call(servers[0], "GET", "/api/articles/", headers=as_demo()).status == 200


def test_each_server_counts_exactly_its_own_requests(fleet):
    flush(fleet.redis_url)
    on_every_worker(fleet)
    before = [requests_served(scrape(server)) for server in fleet.servers]
    sent = [30, 17][: len(fleet.servers)]
    for server, count in zip(fleet.servers, sent, strict=True):
        assert concurrent_reads(server, count) == {200}
    after = [requests_served(scrape(server)) for server in fleet.servers]
    # Its own requests, and the first scrape (counted once it was answered); nothing of the other server's.
    assert [a - b for a, b in zip(after, before, strict=True)] == [count + 1 for count in sent]


def test_a_replica_stopped_mid_run_leaves_the_pick_on_every_server(fleet):
    """On real replication only: SQLite's replicas are read-only connections to the primary's file."""
    on_every_worker(fleet)
    assert all(in_pick(server, "replica1") == 1.0 for server in fleet.servers)
    stop_reading = threading.Event()

    def keep_reading(server):
        while not stop_reading.is_set():
            call(server, "GET", "/api/articles/")

    with ThreadPoolExecutor(max_workers=2 * len(fleet.servers)) as pool:
        readers = [pool.submit(keep_reading, server) for server in fleet.servers for _ in range(2)]
        try:
            fleet.topology.servers["replica1"].stop()
            stopped_at = time.monotonic()
            for server in fleet.servers:
                wait_until(lambda s=server: in_pick(s, "replica1") == 0.0, 30, f"replica1 out on {server.url}")
            # The probe or request that next touches replica1 takes it out: within one health
            # interval of the stop, plus the probe's connect timeout (1 s) and a scrape's round trip.
            took = time.monotonic() - stopped_at
            assert took <= HEALTH_INTERVAL + 1.5, f"{took:.2f} s"
            assert all(in_pick(server, "replica2") == 1.0 for server in fleet.servers)
            replies = [call(server, "GET", "/api/articles/") for server in fleet.servers for _ in range(10)]
            assert {reply.status for reply in replies} == {200}
            assert {reply.headers["X-DB-Alias"] for reply in replies} == {"replica2"}

            fleet.topology.up()
            for server in fleet.servers:
                wait_until(lambda s=server: in_pick(s, "replica1") == 1.0, 60, f"replica1 back on {server.url}")
        finally:
            stop_reading.set()
            for reader in readers:
                reader.result()
