"""`make pg-failover` under a running service: the primary stops, replica1 is promoted, the service keeps going.

The test starts a cluster of its own (own temporary folder, free ports), so
the suite's servers are never disturbed, and the service under gunicorn in a
process of its own with PRIMARY_DATABASE_URL in libpq's multi-host form
(``postgres://app:pw@127.0.0.1:P1,127.0.0.1:P2/articles?target_session_attrs=read-write``):
libpq connects to whichever host is the writable primary, so after the
promotion new connections find replica1 with no restart and no new settings.

While the failover runs, one thread writes and one reads, without pause.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from routing.conf import routing_settings
from tests.live.server import demo_authorization, live_server
from tests.postgresql.http_calls import call, wait_until
from topology.pg.cluster import Cluster
from topology.pg.ports import SERVER_NAMES
from topology.pg.urls import APP_USER, AUTH_DATABASE, DATA_DATABASE, HOST
from topology.suite import free_ports

PROJECT = Path(__file__).resolve().parents[2]
WRITE = {"Authorization": demo_authorization()}


def multi_host_url(password: str, ports: list[int], database: str) -> str:
    """libpq's multi-host URL, the form a deployment writes: every host:port, the writable one wins."""
    hosts = ",".join(f"{HOST}:{port}" for port in ports)
    return f"postgres://{APP_USER}:{password}@{hosts}/{database}?target_session_attrs=read-write"


@pytest.fixture
def cluster():
    """A primary and two standbys of the test's own, stopped and deleted afterwards.

    In a folder of its own under the system's temporary folder: as root the
    servers run as the `postgres` account, which pytest's private tmp_path
    (mode 700 parents) would shut out.
    """
    home = Path(tempfile.mkdtemp(prefix="routing-pg-failover-"))
    own = Cluster(home, dict(zip(SERVER_NAMES, free_ports(len(SERVER_NAMES)), strict=True)))
    try:
        own.up()
        yield own
    finally:
        own.down()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def service(cluster, tmp_path):
    """The service under gunicorn on ``cluster``, its primary and auth_db named by multi-host URLs."""
    urls = cluster.urls()
    password = cluster.secrets()[APP_USER]
    primary_first = [cluster.ports["primary"], cluster.ports["replica1"]]
    environment = {
        **{name: url for name, url in urls.items() if "MULTIHOST" not in name},
        "PRIMARY_DATABASE_URL": multi_host_url(password, primary_first, DATA_DATABASE),
        "AUTH_DATABASE_URL": multi_host_url(password, primary_first, AUTH_DATABASE),
        "ROUTING_ALLOW_OVERRIDE": "all",
    }
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    with live_server("gunicorn-gthread", var_dir, "tests.settings_live", **environment) as server:
        yield server


@dataclass
class Traffic:
    """Requests sent in a loop by a thread until stopped: (seconds since start, status, headers, body)."""

    server: object
    method: str
    path: str
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    results: list = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        index = 0
        while not self._stop.is_set():
            body = {"title": f"{self.body['title']} {index}"} if self.body else None
            status, headers, payload = call(self.server, self.method, self.path, body, headers=self.headers)
            self.results.append((time.monotonic() - self.started, status, headers, payload))
            index += 1
            time.sleep(0.01)

    def __enter__(self) -> Traffic:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def statuses(self) -> Counter:
        return Counter(status for _, status, _, _ in self.results)

    def served(self) -> Counter:
        return Counter(f"{h.get('X-DB-Alias')} ({h.get('X-DB-Route-Reason')})" for _, _, h, _ in self.results)

    def failures(self, expected: int) -> list:
        return [
            (round(at, 2), status, headers.get("X-DB-Alias"), headers.get("X-DB-Route-Reason"), payload)
            for at, status, headers, payload in self.results
            if status != expected
        ]


def pg_failover(home: Path) -> subprocess.CompletedProcess:
    """What `make pg-failover` runs, on this cluster's folder."""
    return subprocess.run(
        [sys.executable, "-m", "topology.pg", "failover", "--home", str(home)],
        cwd=PROJECT,
        env={key: value for key, value in os.environ.items() if not key.startswith("PG_")},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def outage(results: list) -> tuple[float, float] | None:
    """(seconds since start of the first failed write, seconds writes were failing), or None if none failed."""
    failed = [index for index, (_, status, _, _) in enumerate(results) if status != 201]
    if not failed:
        return None
    first = failed[0]
    recovered = next(
        (index for index in range(first, len(results)) if results[index][1] == 201 and index > failed[-1]), None
    )
    assert recovered is not None, "writes never succeeded again"
    return results[first][0], results[recovered][0] - results[first][0]


def test_failover_writes_resume_on_the_new_primary_without_a_restart(cluster, service, capsys):
    cooldown = routing_settings.cooldown
    status, _, before = call(service, "POST", "/api/articles/", {"title": "before"}, headers=WRITE)
    assert status == 201, before

    with (
        Traffic(service, "POST", "/api/articles/", {"title": "during"}, WRITE) as writes,
        Traffic(service, "GET", "/api/articles/") as reads,
        # Basic auth reads the user from auth_db, which fails over with the primary.
        Traffic(service, "GET", "/api/articles/", headers=WRITE) as signed_in_reads,
    ):
        time.sleep(1)
        failover_started = time.monotonic() - writes.started
        result = pg_failover(cluster.home)
        failover_took = time.monotonic() - writes.started - failover_started
        assert result.returncode == 0, result.stdout + result.stderr
        # Writes must come back within the cooldown of the failover's end.
        wait_until(
            lambda: any(status == 201 and at > failover_started + failover_took for at, status, _, _ in writes.results),
            seconds=cooldown,
            step=0.05,
            what=f"a write answered 201 within ROUTING_COOLDOWN ({cooldown:g} s) of the failover",
        )
        time.sleep(1)

    window = outage(writes.results)
    with capsys.disabled():
        print(
            f"\n\nPostgreSQL failover (make pg-failover) under load, started at {failover_started:.2f} s, "
            f"the command took {failover_took:.1f} s:\n"
            f"  writes {dict(writes.statuses())}, "
            + (f"failing for {window[1]:.2f} s from {window[0]:.2f} s" if window else "none failed")
            + f"\n  anonymous reads {dict(reads.statuses())}, served by {dict(reads.served())}"
            f"\n  signed-in reads {dict(signed_in_reads.statuses())}, served by {dict(signed_in_reads.served())}"
        )

    assert "promoted replica1" in result.stdout
    # The new primary is the server replica1, out of recovery; the old one stays stopped.
    assert cluster.primary_name == "replica1"
    assert cluster.admin_sql("replica1", "SELECT pg_is_in_recovery();").strip() == "f"
    assert cluster.servers["primary"].pid() is None

    # Writes: refused cleanly while no primary could be reached (never a 500), then back.
    assert set(writes.statuses()) <= {201, 503}, writes.failures(201)
    refused = [payload for _, status, _, payload in writes.results if status == 503]
    assert {payload.get("code") for payload in refused} <= {"primary_unavailable", "database_unavailable"}
    if window is not None:
        assert window[1] <= cooldown, f"writes failed for {window[1]:.1f} s, over ROUTING_COOLDOWN ({cooldown:g} s)"

    # Reads: served all along.
    assert reads.failures(200) == [], (
        f"anonymous reads failed during the failover (started at {failover_started:.2f} s)"
    )

    # No write answered 201 is missing, and the new ones are on the new primary.
    answered = [before["id"], *(payload["id"] for _, status, _, payload in writes.results if status == 201)]
    for article_id in answered:
        status, headers, _ = call(service, "GET", f"/api/articles/{article_id}/?db=primary")
        assert (status, headers["X-DB-Alias"]) == (200, "primary"), f"article {article_id} answered 201 is missing"
    ids = ",".join(str(int(article_id)) for article_id in answered)
    count = f"SELECT count(*) FROM api_article WHERE id IN ({ids});"  # noqa: S608 - integers only
    on_new_primary = cluster.admin_sql("replica1", count, DATA_DATABASE)
    assert int(on_new_primary) == len(answered)

    # replica2 follows the new primary: it streams from replica1's port and gets a new write.
    receiver = cluster.admin_sql("replica2", "SELECT status, sender_port FROM pg_stat_wal_receiver;").split()
    assert receiver == ["streaming", str(cluster.ports["replica1"])]
    status, _, created = call(service, "POST", "/api/articles/", {"title": "after the failover"}, headers=WRITE)
    assert status == 201, created
    wait_until(
        lambda: call(service, "GET", f"/api/articles/{created['id']}/", headers={"X-DB-Alias": "replica2"})[0] == 200,
        what="replica2 has the write made on the new primary",
    )

    # Signed-in reads too, though their user comes from auth_db, whose primary just stopped.
    assert signed_in_reads.failures(200) == [], (
        f"signed-in reads failed during the failover (started at {failover_started:.2f} s)"
    )
