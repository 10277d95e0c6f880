"""CPU instructions per request, counted by callgrind: the noise-free comparison.

Wall-clock throughput on a shared machine moves by ±10% between rounds;
instruction counts do not. Each configuration serves the same endpoint in
process, N and 3N times under ``valgrind --tool=callgrind``; the difference
divided by 2N is the cost of one request, with start-up cancelled out.

``python -m bench.instructions PATH N`` is the measured program.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import django

ENDPOINTS = {"list": "/api/articles/?page_size=20", "detail": "/api/articles/5/"}
REQUESTS = 20  # and 3 x 20
# Each count is the mean over these hash seeds. One seed makes a configuration
# repeat its count exactly, but string hashes decide dict and set layouts, and
# with them how many instructions a lookup or a resize takes: a configuration
# that differs by one setting can gain or lose half a point by layout alone.
# The mean over a few seeds averages that out of the comparison.
HASH_SEEDS = ("1", "2", "3")
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def available() -> bool:
    return shutil.which("valgrind") is not None


def _instructions(environment: dict[str, str], path: str, requests: int, seed: str, work: Path) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={work / 'callgrind.out.%p'}",
        sys.executable,
        "-m",
        "bench.instructions",
        path,
        str(requests),
    ]
    environment = {**environment, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        command, env=environment, cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=True
    )
    return int(_COLLECTED.search(result.stderr).group(1))


def measure(environments: dict[str, dict[str, str]], work: Path) -> dict[str, dict[str, int]]:
    """{endpoint: {configuration: instructions per request}}, the mean over HASH_SEEDS."""
    jobs = [
        (endpoint, config, count, seed)
        for endpoint in ENDPOINTS
        for config in environments
        for count in (REQUESTS, 3 * REQUESTS)
        for seed in HASH_SEEDS
    ]

    def run(job) -> int:
        endpoint, config, count, seed = job
        return _instructions(environments[config], ENDPOINTS[endpoint], count, seed, work)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        totals = dict(zip(jobs, pool.map(run, jobs), strict=True))

    def per_request(endpoint: str, config: str) -> int:
        added = sum(
            totals[(endpoint, config, 3 * REQUESTS, seed)] - totals[(endpoint, config, REQUESTS, seed)]
            for seed in HASH_SEEDS
        )
        return added // (2 * REQUESTS * len(HASH_SEEDS))

    return {endpoint: {config: per_request(endpoint, config) for config in environments} for endpoint in ENDPOINTS}


def serve(path: str, requests: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    from django.conf import settings
    from django.test import Client

    # Under callgrind a request takes ~50 times longer, so the replica health
    # check (every 2 s of real time, about once per 800 requests of a busy
    # worker) would be charged to a handful of requests. Leave it out.
    settings.ROUTING_HEALTH_INTERVAL = 3600

    client = Client(HTTP_HOST="localhost")
    for _ in range(10):  # connections open, caches warm
        client.get(path)
    # What warm-up left alive is the process's, not the requests': frozen, the
    # collector does not walk it again when a collection falls inside the
    # measured requests. (What makes a count repeat is the fixed hash seed;
    # freezing only keeps warm-up's garbage out of the requests' count.)
    gc.collect()
    gc.freeze()
    for _ in range(requests):
        client.get(path)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
