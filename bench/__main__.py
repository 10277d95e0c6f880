"""``python -m bench`` (``make bench``): what routing costs, side by side, in one run.

For each engine (SQLite always; MariaDB when a server binary exists and not in
quick mode) it seeds a private data set, serves it three times under gunicorn
(baseline, this project's routing, django-multidb-router), drives every
scenario against the three in turn for several rounds, then measures the
per-decision and per-request costs in process and the query budget.

BENCH_QUICK=1: SQLite only, 2 short rounds (under a minute).
BENCH_ENGINES=sqlite,mysql: choose the engines.

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
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench import instructions, load, report, verdicts
from bench.seed import ARTICLES
from bench.servers import CONFIGS, PROJECT, Server

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


def _base_environment(log_dir: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_DATABASE_URL")}
    environment.update(
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-key-not-for-production-use-0123456789",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Persistent connections for every configuration, as in production.
        DB_CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        ENV_FILE=str(log_dir / "no-dotenv"),
        BENCH_LOG_DIR=str(log_dir),
        DEMO_USER="",
        DEMO_PASSWORD="",
        # The create scenario writes as fast as it can: measure routing, not the throttle.
        WRITE_THROTTLE_RATE="100000000/min",
    )
    return environment


@contextlib.contextmanager
def sqlite_engine(work: Path) -> Iterator[dict[str, str]]:
    folder = work / "sqlite"
    shutil.rmtree(folder, ignore_errors=True)
    environment = _base_environment(work)
    environment["VAR_DIR"] = str(folder)
    yield environment


@contextlib.contextmanager
def mysql_engine(work: Path) -> Iterator[dict[str, str]]:
    from topology.suite import free_ports
    from topology.topology import DEFAULT_PORTS, Topology

    home = Path(tempfile.mkdtemp(prefix="routing-bench-"))
    topology = Topology(home, dict(zip(DEFAULT_PORTS, free_ports(3), strict=True)))
    try:
        topology.up()
        environment = _base_environment(work)
        environment.update(topology.urls())
        environment["VAR_DIR"] = str(work / "mysql")
        yield environment
    finally:
        topology.down()
        shutil.rmtree(home, ignore_errors=True)


def seed(environment: dict[str, str]) -> list[int]:
    """Both layouts on the same data: routed (auth on auth_db) and single-database.

    The single-database migration goes first: it creates every table in the
    primary's database. (The routed one records the auth apps' migrations
    there as applied without creating their tables, which would stop it.)
    """
    _manage({**environment, "ROUTING": "off"}, "migrate", "--no-input", "--verbosity=0")
    _manage({**environment, "ROUTING": "on"}, "migrate", "--no-input", "--verbosity=0")
    # DEBUG is off: the login page's CSS must come from collected static files.
    _manage(environment, "collectstatic", "--no-input", "--verbosity=0")
    _python({**environment, "ROUTING": "on"}, "-m", "bench.seed", "users", "content")
    _python({**environment, "ROUTING": "off"}, "-m", "bench.seed", "users")
    time.sleep(1)  # let replication settle before the first measured read
    return list(range(1, ARTICLES + 1))


def measure(environment: dict[str, str], rounds: int, seconds: float) -> dict[str, dict[str, list[load.Result]]]:
    servers = [Server(config, _free_port(), {**environment, "ROUTING": config.routing}) for config in CONFIGS]
    article_ids = seed(environment)
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
                    print(
                        f"  {scenario.name:<16} round {round_number + 1}  {server.config.name:<9}"
                        f"{outcome.per_second:9.1f} ops/s  p50 {outcome.p50_ms:6.2f} ms  errors {outcome.errors}",
                        flush=True,
                    )
        return results
    finally:
        for server in servers:
            server.stop()


def versions() -> dict[str, str]:
    found = {"Python": platform.python_version(), "SQLite": sqlite3.sqlite_version}
    for package in ("Django", "djangorestframework", "gunicorn", "django-multidb-router", "mysqlclient"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[package] = importlib.metadata.version(package)
    with contextlib.suppress(Exception):
        from topology.binaries import find_binaries

        found["MariaDB"] = find_binaries().version.split("Ver ")[1].split("-")[0]
    if shutil.which("wrk"):
        found["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()[1]
    return found


def engines_to_run(quick: bool) -> list[str]:
    requested = os.environ.get("BENCH_ENGINES", "").strip()
    if requested:
        return [engine.strip() for engine in requested.split(",") if engine.strip()]
    engines = ["sqlite"]
    if not quick:
        try:
            from topology.binaries import find_binaries

            find_binaries()
            engines.append("mysql")
        except Exception as error:
            print(f"MariaDB benchmark skipped: {error}")
    return engines


def main() -> int:
    quick = os.environ.get("BENCH_QUICK", "").strip() not in {"", "0", "false"}
    # Many short interleaved rounds: on a shared machine the median of several
    # A-B-C rounds is steadier than one long run per configuration.
    rounds, seconds = (2, 1.0) if quick else (4, 3.0)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    work = OUTPUT / "run"
    work.mkdir(parents=True, exist_ok=True)
    engines = engines_to_run(quick)
    try:
        import multidb  # noqa: F401
    except ImportError:
        print("django-multidb-router is not installed: pip install -r requirements-bench.txt", file=sys.stderr)
        return 1

    document = {
        "started": started,
        "command": "BENCH_QUICK=1 make bench" if quick else "make bench",
        "quick": quick,  # a quick run's wall-clock targets are shown, not judged
        "cores": os.cpu_count(),
        "generator": load.generator_name(),
        "connections": load.CONNECTIONS,
        "rounds": rounds,
        "seconds": seconds,
        "versions": versions(),
        "engines": {},
    }
    for engine in engines:
        print(f"\n{engine}: seeding, starting three servers, then {rounds} interleaved rounds per scenario")
        context = sqlite_engine(work) if engine == "sqlite" else mysql_engine(work)
        with context as environment:
            document["engines"][engine] = report.summarize(measure(environment, rounds, seconds))
            if engine == "sqlite":
                print("\nIn-process: micro-benchmarks and query budget")
                measured = json.loads(_python({**environment, "ROUTING": "on"}, "-m", "bench.inprocess"))
                document.update(measured)
                if not quick and instructions.available():
                    print("In-process: instructions per request under callgrind (a few minutes)")
                    per_config = {config.name: {**environment, "ROUTING": config.routing} for config in CONFIGS}
                    document["instructions"] = instructions.measure(per_config, work)

    return finish(document, OUTPUT)


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
