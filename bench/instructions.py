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
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def available() -> bool:
    return shutil.which("valgrind") is not None


def _instructions(environment: dict[str, str], path: str, requests: int, work: Path) -> int:
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
    # One hash seed for every run: string hashes decide dict and set layouts,
    # and with them how many instructions a lookup or a resize takes.
    environment = {**environment, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        command, env=environment, cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=True
    )
    return int(_COLLECTED.search(result.stderr).group(1))


def measure(environments: dict[str, dict[str, str]], work: Path) -> dict[str, dict[str, int]]:
    """{endpoint: {configuration: instructions per request}}."""
    jobs = [
        (endpoint, config, count)
        for endpoint in ENDPOINTS
        for config in environments
        for count in (REQUESTS, 3 * REQUESTS)
    ]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        totals = dict(
            zip(
                jobs,
                pool.map(lambda job: _instructions(environments[job[1]], ENDPOINTS[job[0]], job[2], work), jobs),
                strict=True,
            )
        )
    return {
        endpoint: {
            config: (totals[(endpoint, config, 3 * REQUESTS)] - totals[(endpoint, config, REQUESTS)]) // (2 * REQUESTS)
            for config in environments
        }
        for endpoint in ENDPOINTS
    }


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
    # collector stops walking it, and full collections (which fall on a different
    # request in each configuration) stop moving the count by half a point.
    gc.collect()
    gc.freeze()
    for _ in range(requests):
        client.get(path)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
