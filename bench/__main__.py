"""``python -m bench`` (``make bench``): what routing costs, side by side, in one run.

For each engine (SQLite always; MariaDB and PostgreSQL when their server
programs are installed, see bench.engines) it seeds a private data set, waits
until the replicas have applied it, serves it three times under gunicorn
(baseline, this project's routing, django-multidb-router), drives every
scenario against the three in turn for several rounds, then measures the
per-decision and per-request costs in process and the query budget (on SQLite).

BENCH_QUICK=1: SQLite only unless BENCH_ENGINES says otherwise, 2 short rounds (under a minute).
BENCH_ENGINES=sqlite,mysql,postgresql: choose the engines (one that cannot run here is an error).

Exits 1 when a target is missed (bench.verdicts). A quick run is too short to
judge the wall-clock targets and judges only the deterministic ones.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import bytecodes, engines, instructions, load, report, verdicts
from bench.seed import ARTICLES
from bench.servers import CONFIGS, PROJECT, Config, Server, served_on

OUTPUT = PROJECT / "var" / "bench"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(environment: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=PROJECT, env=environment, check=True)


def _python(environment: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT, env=environment, check=True, capture_output=True, text=True
    ).stdout


def seed(environment: dict[str, str], settle: Callable[[], None]) -> list[int]:
    """Both layouts on the same data: routed (auth on auth_db) and single-database.

    The single-database migration goes first: it creates every table in the
    primary's database. (The routed one records the auth apps' migrations
    there as applied without creating their tables, which would stop it.)
    ``settle`` returns once every replica has applied what was written.
    """
    _manage({**environment, "ROUTING": "off"}, "migrate", "--no-input", "--verbosity=0")
    _manage({**environment, "ROUTING": "on"}, "migrate", "--no-input", "--verbosity=0")
    # DEBUG is off: the login page's CSS must come from collected static files.
    _manage(environment, "collectstatic", "--no-input", "--verbosity=0")
    _python({**environment, "ROUTING": "on"}, "-m", "bench.seed", "users", "content")
    _python({**environment, "ROUTING": "off"}, "-m", "bench.seed", "users")
    settle()  # every replica holds the data before the first measured read
    return list(range(1, ARTICLES + 1))


def measure(
    engine: str, running: engines.Running, rounds: int, seconds: float
) -> dict[str, dict[str, list[load.Result]]]:
    environment = running.environment
    servers = [Server(config, _free_port(), config.environment(environment)) for config in served_on(engine)]
    article_ids = seed(environment, running.settle)
    for server in servers:
        server.start()
    try:
        for server in servers:
            server.wait_until_ready()
            routed = "X-DB-Alias" in server.headers_of_a_read()
            if routed != (server.config.routing == "on"):
                raise RuntimeError(f"{server.config.name}: routing headers {'present' if routed else 'absent'}")
        sessions = {server.config.name: server.log_in() for server in servers}
        results: dict[str, dict[str, list[load.Result]]] = {}
        for scenario in load.SCENARIOS:
            results[scenario.name] = {server.config.name: [] for server in servers}
            for round_number in range(rounds):
                for server in servers:  # A B C, A B C, ...
                    outcome = load.run(server.port, scenario, seconds, sessions[server.config.name], article_ids)
                    results[scenario.name][server.config.name].append(outcome)
                    stalled = "" if outcome.operations else "  (nothing completed: left out of the median)"
                    print(
                        f"  {scenario.name:<16} round {round_number + 1}  {server.config.name:<9}"
                        f"{outcome.per_second:9.1f} ops/s  p50 {outcome.p50_ms:6.2f} ms  errors {outcome.errors}"
                        f"{stalled}",
                        flush=True,
                    )
        return results
    finally:
        for server in servers:
            server.stop()


def versions(engine_facts: dict[str, str]) -> dict[str, str]:
    """Python, the engines' servers and drivers (of the engines that run), the packages and wrk."""
    found = {"Python": platform.python_version(), **engine_facts}
    for package in ("Django", "djangorestframework", "gunicorn", "django-multidb-router"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[package] = importlib.metadata.version(package)
    if shutil.which("wrk"):
        found["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()[1]
    return found


def command(quick: bool, requested_engines: str) -> str:
    """The run as the report names it: ``BENCH_QUICK=1 BENCH_ENGINES=postgresql make bench``."""
    words = ["BENCH_QUICK=1"] if quick else []
    if requested_engines.strip():
        words.append(f"BENCH_ENGINES={requested_engines.strip()}")
    return " ".join([*words, "make bench"])


def engines_to_run(quick: bool) -> engines.Selection:
    """BENCH_ENGINES, or the defaults; prints why a default engine is skipped. Raises SelectionError."""
    selection = engines.select(os.environ.get("BENCH_ENGINES", ""), quick)
    for engine, reason in selection.skipped.items():
        print(f"{engines.label(engine)} benchmark skipped: {reason}")
    return selection


def main() -> int:
    quick = os.environ.get("BENCH_QUICK", "").strip() not in {"", "0", "false"}
    # Many short interleaved rounds: on a shared machine the median of several
    # A-B-C rounds is steadier than one long run per configuration.
    rounds, seconds = (2, 1.0) if quick else (4, 3.0)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    work = OUTPUT / "run"
    work.mkdir(parents=True, exist_ok=True)
    try:
        selection = engines_to_run(quick)
    except engines.SelectionError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        import multidb  # noqa: F401
    except ImportError:
        print("django-multidb-router is not installed: pip install -r requirements-bench.txt", file=sys.stderr)
        return 1

    document = {
        "started": started,
        "command": command(quick, os.environ.get("BENCH_ENGINES", "")),
        "quick": quick,  # a quick run's wall-clock targets are shown, not judged
        "cores": os.cpu_count(),
        "generator": load.generator_name(),
        "connections": load.CONNECTIONS,
        "rounds": rounds,
        "seconds": seconds,
        "versions": versions(selection.facts),
        "engines": {},
    }
    for engine in selection.engines:
        print(
            f"\n{engines.label(engine)} ({engines.DESCRIPTIONS[engine]}): seeding, starting three servers, "
            f"then {rounds} interleaved rounds per scenario",
            flush=True,
        )
        with engines.start(engine, work) as running:
            environment = running.environment
            document["engines"][engine] = report.summarize(measure(engine, running, rounds, seconds))
            if engine == "sqlite":
                print("\nIn-process: micro-benchmarks and query budget")
                measured = json.loads(_python({**environment, "ROUTING": "on"}, "-m", "bench.inprocess"))
                document.update(measured)
                if not quick and instructions.available():
                    print("In-process: instructions per request under callgrind (a few minutes)")
                    per_config = {
                        config.name: config.environment(environment) for config in CONFIGS if config.runs_on(engine)
                    }
                    counted = instructions.measure(per_config)
                    document["instructions"] = instructions.medians(counted)  # what the targets judge
                    document["instruction_spread"] = counted
                print("In-process: Python bytecode per request, by part of routing")
                document["bytecodes"] = bytecodes.measure(
                    {name: config.environment(environment) for name, config in _by_name(bytecodes.CONFIGS).items()}
                )

    return finish(document, OUTPUT)


def _by_name(names: tuple[str, ...]) -> dict[str, Config]:
    return {config.name: config for config in CONFIGS if config.name in names}


def finish(document: dict, folder: Path) -> int:
    """Judge the targets, write and print the report; the exit status: 1 if any target was missed.

    The files are written before the status is decided: a failing run's numbers
    are the ones most worth reading.
    """
    judged = verdicts.judge(document)
    markdown_path, json_path, png_path = report.write(document, judged, folder)
    print("\n" + markdown_path.read_text())
    print(
        f"Written: {markdown_path}, {json_path}" + (f", {png_path}" if png_path else " (no chart: install matplotlib)")
    )
    print("\n" + verdicts.conclusion(judged))
    return verdicts.exit_status(judged)


if __name__ == "__main__":
    sys.exit(main())
