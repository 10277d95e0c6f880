"""CPU instructions per request, counted by callgrind: the comparison that wall clocks cannot make.

Each configuration serves the same endpoint in process under ``valgrind
--tool=callgrind --instr-atstart=no``: nothing is counted while Python starts,
Django sets up and warm-up requests open the connections; the program then
switches counting on (``callgrind_control -i on``), serves ``REQUESTS``
requests and ends at once (``os._exit``), so the count is those requests and
the tail of the switch. A run with no requests counts that tail alone, and
(count - tail) / ``REQUESTS`` is the cost of one request.

One hash seed makes a count repeat to a few hundred instructions (the replica
pick is seeded too), but
string hashes decide dict and set layouts, and with them how many instructions
a lookup or a resize takes; and what the heap held before the requests (down
to the size of the environment) decides what allocating and freeing their
objects costs. A configuration that differs by one setting, or by the length of
one environment variable, can gain or lose a few tenths of a point by layout
alone, and a few seeds land on a layout that costs a point more. So each
configuration is counted under ``HASH_SEEDS`` seeds, each seed with padding of
its own length in the environment (``_layout_padding``), and the median is its
count: the spread is reported next to it (bench.report).

``python -m bench.instructions PATH N SEED`` is the measured program.
"""

from __future__ import annotations

import gc
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import django

from bench.servers import PROJECT

ENDPOINTS = {"list": "/api/articles/?page_size=20", "detail": "/api/articles/5/"}
REQUESTS = 20
HASH_SEEDS = tuple(str(seed) for seed in range(1, 11))
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def available() -> bool:
    return shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None


def _instructions(environment: dict[str, str], path: str, requests: int, seed: str) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        path,
        str(requests),
        seed,
    ]
    environment = {**environment, "PYTHONHASHSEED": seed, "BENCH_LAYOUT_PADDING": _layout_padding(seed)}
    result = subprocess.run(command, env=environment, cwd=PROJECT, capture_output=True, text=True, check=True)
    return int(_COLLECTED.search(result.stderr).group(1))


def _layout_padding(seed: str) -> str:
    """Padding of a length of the seed's own (0 to 8 KiB), the same in every configuration: another heap layout."""
    return "x" * (int(seed) * 997 % 8192)


def measure(environments: dict[str, dict[str, str]]) -> dict[str, dict[str, dict[str, float]]]:
    """{endpoint: {configuration: {"median": instructions per request, "low": ..., "high": ...}}}.

    The median over HASH_SEEDS, and the lowest and highest seed's count.
    """
    jobs = [(endpoint, config, seed) for endpoint in ENDPOINTS for config in environments for seed in HASH_SEEDS]

    def tail(config: str) -> int:
        # The switch's own tail is the same code on every endpoint and seed: measured once per configuration.
        return _instructions(environments[config], ENDPOINTS["detail"], 0, HASH_SEEDS[0])

    def run(job) -> int:
        endpoint, config, seed = job
        return _instructions(environments[config], ENDPOINTS[endpoint], REQUESTS, seed)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        tails = dict(zip(environments, pool.map(tail, environments), strict=True))
        totals = dict(zip(jobs, pool.map(run, jobs), strict=True))

    def summary(endpoint: str, config: str) -> dict[str, float]:
        counts = [(totals[(endpoint, config, seed)] - tails[config]) / REQUESTS for seed in HASH_SEEDS]
        return {"median": round(statistics.median(counts)), "low": round(min(counts)), "high": round(max(counts))}

    return {endpoint: {config: summary(endpoint, config) for config in environments} for endpoint in ENDPOINTS}


def medians(counted: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, int]]:
    """{endpoint: {configuration: median instructions per request}}: what the targets judge."""
    return {
        endpoint: {config: row["median"] for config, row in by_config.items()}
        for endpoint, by_config in counted.items()
    }


def warmed_up_client(path: str, seed: str):
    """Django set up, ten requests of ``path`` served, what they left frozen: a test Client ready to be measured.

    Shared by every in-process count (callgrind's here, bench.bytecodes's), so
    that they count the same requests after the same warm-up.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    random.seed(int(seed))  # the replica pick: the same sequence on every run of this seed
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
    # measured requests.
    gc.collect()
    gc.freeze()
    return client


def serve(path: str, requests: int, seed: str) -> None:
    client = warmed_up_client(path, seed)
    subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(requests):
        client.get(path)
    sys.stdout.flush()
    os._exit(0)  # nothing after the requests is counted: no interpreter shutdown


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
