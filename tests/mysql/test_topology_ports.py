"""A topology keeps the ports it was created with: `python -m topology` as a user runs it.

Each test starts a topology of its own in a temporary folder, on free ports
(never the suite's servers, never 3307-3309), through the command line in a
subprocess, exactly as ``make db-up`` and friends run it, and stops it at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from topology.binaries import find_binaries
from topology.ports import PORT_VARIABLES
from topology.server import TopologyError
from topology.suite import free_ports
from topology.topology import REPLICAS, Topology

REPO = Path(__file__).resolve().parents[2]


def run_topology(home: Path, command: str, ports: dict[str, int] | None = None) -> subprocess.CompletedProcess:
    """``[DB_*_PORT=...] python -m topology <command> --home <home>``, with no port variable inherited."""
    environment = {key: value for key, value in os.environ.items() if key not in PORT_VARIABLES.values()}
    environment.pop("REPLICA_DELAY", None)
    environment.update({PORT_VARIABLES[name]: str(port) for name, port in (ports or {}).items()})
    return subprocess.run(
        [sys.executable, "-m", "topology", command, "--home", str(home)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def succeeded(result: subprocess.CompletedProcess) -> bool:
    return result.returncode == 0 and result.stderr == ""


def env_file_ports(home: Path) -> dict[str, str]:
    """The host:port of each URL in topology.env."""
    urls = dict(line.split("=", 1) for line in (home / "topology.env").read_text().splitlines() if "://" in line)
    return {name: url.split("@", 1)[1].split("/", 1)[0] for name, url in urls.items()}


def status_ports(output: str) -> dict[str, str]:
    """The port column of the status table."""
    rows = [line.split() for line in output.splitlines()]
    return {row[0]: row[1] for row in rows if row and row[0] in {"primary", *REPLICAS}}


def replication_sources(home: Path) -> dict[str, tuple[str, str]]:
    """(source port, IO thread running) of each replica."""
    cluster = Topology.load(home)
    return {
        name: (status.source_port, status.io_running)
        for name, status in ((name, cluster.replication_status(name)) for name in REPLICAS)
    }


def assert_primary_on(home: Path, port: int) -> None:
    """Everything that names the primary names ``port``, and both replicas replicate from it."""
    assert replication_sources(home) == {name: (str(port), "Yes") for name in REPLICAS}
    assert env_file_ports(home)["PRIMARY_DATABASE_URL"] == f"127.0.0.1:{port}"
    assert env_file_ports(home)["AUTH_DATABASE_URL"] == f"127.0.0.1:{port}"
    status = run_topology(home, "status")
    assert succeeded(status), status.stderr
    assert status_ports(status.stdout)["primary"] == str(port)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "mysql"
    try:
        yield home
    finally:
        run_topology(home, "down")


@pytest.fixture
def ports() -> dict[str, int]:
    """Free ports: the three of the topology, then two more to move the primary to."""
    primary, replica1, replica2, first_move, second_move = free_ports(5)
    return {
        "primary": primary,
        "replica1": replica1,
        "replica2": replica2,
        "first_move": first_move,
        "second_move": second_move,
    }


def listening_on(port: int) -> socket.socket:
    """Another program holding ``port``, as in the README's troubleshooting row."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", port))
    holder.listen()
    return holder


def start_on_an_override(home: Path, ports: dict[str, int], *, first_port_busy: bool) -> int:
    """`DB_PRIMARY_PORT=<p> make db-up`, after a first `make db-up` that failed or not; the primary's port."""
    topology_ports = {name: ports[name] for name in ("primary", *REPLICAS)}
    if first_port_busy:
        # The path: `make db-up` fails on a busy port, initializing the
        # servers first; then the override from the troubleshooting row.
        with listening_on(ports["primary"]):
            failed = run_topology(home, "up", topology_ports)
        assert failed.returncode == 1
        assert f"port {ports['primary']} is already in use by another program" in failed.stderr
        override = run_topology(home, "up", {"primary": ports["first_move"]})
        assert succeeded(override), override.stderr
        return ports["first_move"]
    first = run_topology(home, "up", topology_ports)
    assert succeeded(first), first.stderr
    return ports["primary"]


@pytest.mark.parametrize("first_port_busy", [True, False], ids=["after-a-busy-port", "fresh"])
def test_a_port_override_is_kept_until_the_stopped_topology_is_moved(home, ports, first_port_busy):
    primary_port = start_on_an_override(home, ports, first_port_busy=first_port_busy)
    assert_primary_on(home, primary_port)

    # A plain `make db-up` (as `make run-mysql` runs it) keeps the override.
    plain = run_topology(home, "up")
    assert succeeded(plain), plain.stderr
    assert "db-up:" not in plain.stdout, "nothing to start, configure or move"
    assert_primary_on(home, primary_port)
    assert status_ports(plain.stdout) == {
        "primary": str(primary_port),
        "replica1": str(ports["replica1"]),
        "replica2": str(ports["replica2"]),
    }

    # Moving the running primary is refused with the commands that do it, and changes nothing.
    env_before = (home / "topology.env").read_text()
    state_before = (home / "topology.json").read_text()
    target = ports["second_move"]
    refused = run_topology(home, "up", {"primary": target})
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: primary is running on port")
    assert f"port {primary_port}, and DB_PRIMARY_PORT={target} asks to move it" in refused.stderr
    topology = ".venv/bin/python -m topology"
    down_then_up = f"{topology} down --home {home} && DB_PRIMARY_PORT={target} {topology} up --home {home}"
    assert f"To move it: `{down_then_up}`." in refused.stderr
    assert (home / "topology.env").read_text() == env_before
    assert (home / "topology.json").read_text() == state_before
    assert_primary_on(home, primary_port)

    # Stopped, it moves, and the replicas follow.
    down = run_topology(home, "down")
    assert succeeded(down), down.stderr
    moved = run_topology(home, "up", {"primary": target})
    assert succeeded(moved), moved.stderr
    assert f"db-up: moving primary from port {primary_port} to {target}" in moved.stdout
    assert_primary_on(home, target)
    assert run_topology(home, "up").returncode == 0
    assert_primary_on(home, target)


def test_root_is_secured_even_when_the_first_start_failed(home, ports):
    start_on_an_override(home, ports, first_port_busy=True)
    binaries = find_binaries()
    for server in Topology.load(home).servers.values():
        assert server.client_password(), f"{server.name}: root has a password"
        anonymous = subprocess.run(
            [binaries.client, "--no-defaults", f"--socket={server.socket_path}", "--user=root", "-e", "SELECT 1"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert anonymous.returncode != 0, f"{server.name}: root without its password is refused"


def test_up_fails_rather_than_leave_a_replica_on_a_port_without_the_primary(home, ports, monkeypatch):
    start_on_an_override(home, ports, first_port_busy=False)
    cluster = Topology.load(home)
    # Something pointed replica1 elsewhere, and replication setup did not notice:
    # the safety net must.
    cluster.move_source_port("replica1", ports["first_move"])
    with monkeypatch.context() as patch:
        patch.setattr(Topology, "_ensure_replication", lambda *args: [])
        with pytest.raises(TopologyError, match=f"replica1 replicates from 127.0.0.1:{ports['first_move']}"):
            cluster.up()
    cluster.up()  # the real setup repairs it
    assert_primary_on(home, ports["primary"])


def test_a_topology_split_by_the_old_bug_is_reported_not_made_worse(home, ports):
    start_on_an_override(home, ports, first_port_busy=False)
    # What an older `make db-up` saved: a port the running primary does not use.
    state_file = home / "topology.json"
    state = json.loads(state_file.read_text())
    state["ports"]["primary"] = ports["first_move"]
    state_file.write_text(json.dumps(state))

    status = run_topology(home, "status")
    assert status_ports(status.stdout)["primary"] == str(ports["primary"]), "the port it really runs on"
    assert f"primary: runs on port {ports['primary']}, not {ports['first_move']}" in status.stdout

    plain = run_topology(home, "up")
    assert plain.returncode == 1
    assert f"primary is running on port {ports['primary']}, not {ports['first_move']}" in plain.stderr
    assert replication_sources(home) == {name: (str(ports["primary"]), "Yes") for name in REPLICAS}
