"""Run the test suite against a private MariaDB topology.

``python -m topology.suite [pytest arguments]`` starts a primary and two
replicas in a temporary folder on free ports (never a developer's
``make db-up`` servers), runs pytest with the database URLs pointing at them,
then stops the servers and deletes the folder.

Without a server binary the suite is skipped with the reason, unless
``CI=true``: then a missing server fails the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from topology.binaries import MissingServer, find_binaries
from topology.topology import DEFAULT_PORTS, Topology


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def main(pytest_args: list[str]) -> int:
    try:
        binaries = find_binaries()
    except MissingServer as error:
        if in_ci():
            print(f"MySQL suite FAILED to start: {error}\nCI=true requires it.", file=sys.stderr)
            return 1
        print(f"\n*** MySQL suite SKIPPED: {error}\n")
        return 0

    home = Path(tempfile.mkdtemp(prefix="routing-mysql-"))
    topology = Topology(home, dict(zip(DEFAULT_PORTS, free_ports(3), strict=True)))
    try:
        print(f"MySQL suite: {binaries.version}; servers on ports {', '.join(map(str, topology.ports.values()))}")
        topology.up(binaries=binaries)
        environment = {
            **os.environ,
            **topology.urls(),
            "TOPOLOGY_HOME": str(home),
            "VAR_DIR": str(home / "var"),
            "ENV_FILE": str(home / "no-dotenv"),  # a developer's .env must not leak in
        }
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=environment)
    finally:
        topology.down()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
