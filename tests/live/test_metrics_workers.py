"""/metrics under gunicorn with two workers: one scrape sums every worker's counters.

prometheus_client's multiprocess mode: each worker writes its metrics to files
in PROMETHEUS_MULTIPROC_DIR (cleaned when the server starts), and the view
adds them up, so a scrape counts every request the server served, whichever
worker served it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fleet import call, requests_served, scrape, worker_pids
from tests.live.server import live_server

pytestmark = pytest.mark.live


def get(server, path: str) -> int:
    return call(server, "GET", path).status


def test_a_scrape_counts_the_requests_of_every_worker(tmp_path):
    metrics_dir = tmp_path / "prometheus"
    (metrics_dir / "stale").mkdir(parents=True)
    (metrics_dir / "counter_1.db").write_bytes(b"left by an earlier run")
    with live_server("gunicorn-gthread", tmp_path / "var", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as server:
        assert not (metrics_dir / "stale").exists(), "the folder is cleaned when the server starts"
        # Until both workers have served (and so written) something.
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(10):
                assert set(pool.map(lambda _: get(server, "/api/articles/"), range(40))) == {200}
                if len(worker_pids(metrics_dir)) >= 2:
                    break
        assert len(worker_pids(metrics_dir)) >= 2, "both workers served requests"

        before = requests_served(scrape(server))
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(lambda _: get(server, "/api/articles/"), range(50))) == {200}
        after = requests_served(scrape(server))
        # The 50 requests, and the first scrape (counted once it was answered).
        assert after - before == 51
        again = requests_served(scrape(server))
        assert again == after + 1, "a counter never goes backwards between two scrapes"
