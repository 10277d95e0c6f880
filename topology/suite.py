"""Run the test suite against a private MySQL topology (MariaDB or Oracle MySQL).

``python -m topology.suite [--server any|mariadb|oracle-mysql] [pytest arguments]``
starts a primary and two replicas in a temporary folder on free ports (never a
developer's ``make db-up`` servers), runs pytest with the database URLs
pointing at them, then stops the servers and deletes the folder. ``any`` (the
default) takes MYSQLD or the first server found; the other two insist on that
kind of server (see topology.binaries.find_flavor).

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

from topology.binaries import Binaries, MissingServer, find_binaries, find_flavor
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


SERVERS = {"any": None, "mariadb": "MariaDB", "oracle-mysql": "MySQL"}


def find_server(choice: str) -> Binaries:
    flavor = SERVERS[choice]
    return find_binaries() if flavor is None else find_flavor(flavor)


def main(argv: list[str]) -> int:
    choice = "any"
    if argv[:1] == ["--server"] and len(argv) > 1:
        choice, argv = argv[1], argv[2:]
    if choice not in SERVERS:
        print(f"--server {choice}: use one of {', '.join(SERVERS)}", file=sys.stderr)
        return 2
    label = "MySQL suite" if choice == "any" else f"MySQL suite ({choice})"
    try:
        binaries = find_server(choice)
    except MissingServer as error:
        if in_ci():
            print(f"{label} FAILED to start: {error}\nCI=true requires it.", file=sys.stderr)
            return 1
        print(f"\n*** {label} SKIPPED: {error}\n")
        return 0
    pytest_args = argv

    home = Path(tempfile.mkdtemp(prefix="routing-mysql-"))
    topology = Topology(home, dict(zip(DEFAULT_PORTS, free_ports(3), strict=True)))
    try:
        ports = ", ".join(map(str, topology.ports.values()))
        print(f"{label}: {binaries.server_name} ({binaries.server}); servers on ports {ports}")
        topology.up(binaries=binaries)
        environment = {
            **os.environ,
            **topology.urls(),
            "TOPOLOGY_HOME": str(home),
            "MYSQLD": binaries.server,  # what the tests' own topology commands run
            "VAR_DIR": str(home / "var"),
            "ENV_FILE": str(home / "no-dotenv"),  # a developer's .env must not leak in
        }
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=environment)
    finally:
        topology.down()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
