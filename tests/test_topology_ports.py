"""Which ports `python -m topology` uses: saved ports, DB_*_PORT requests, moves (no servers needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from topology import cli
from topology.ports import Move, moves_between, requested_ports, resolve_ports
from topology.server import Server, TopologyError
from topology.topology import DEFAULT_PORTS, saved_ports

SAVED = {"primary": 3317, "replica1": 3308, "replica2": 3309}


def save_topology(home: Path, ports: dict[str, int]) -> None:
    """A topology.json as `up` leaves it."""
    home.mkdir(parents=True, exist_ok=True)
    state = {"passwords": {"root": "r", "repl": "s", "app": "a"}, "ports": ports}
    (home / "topology.json").write_text(json.dumps(state))


@pytest.fixture
def running(monkeypatch):
    """Pretend the named servers run (any topology): ``running("primary")``."""
    names: set[str] = set()
    monkeypatch.setattr(Server, "pid", lambda server: 4242 if server.name in names else None)
    return lambda *servers: names.update(servers)


# Requests ---------------------------------------------------------------------------


def test_only_the_variables_that_are_set_are_requests():
    assert requested_ports({}) == {}
    assert requested_ports({"DB_PRIMARY_PORT": "3327", "DB_REPLICA1_PORT": " ", "OTHER": "1"}) == {"primary": 3327}


@pytest.mark.parametrize("raw", ["80", "65536", "33o7", "-3307"])
def test_a_request_must_be_a_port_number_from_1024_to_65535(raw):
    with pytest.raises(TopologyError, match=f"DB_REPLICA2_PORT='{raw}' is not a port number from 1024 to 65535"):
        requested_ports({"DB_REPLICA2_PORT": raw})


def test_a_new_topology_uses_the_requests_then_the_defaults():
    assert resolve_ports(None, {}) == DEFAULT_PORTS
    assert resolve_ports(None, {"primary": 3317}) == {**DEFAULT_PORTS, "primary": 3317}


def test_a_saved_topology_keeps_its_ports_unless_one_is_requested():
    assert resolve_ports(SAVED, {}) == SAVED
    assert resolve_ports(SAVED, {"replica1": 3318}) == {**SAVED, "replica1": 3318}


def test_the_three_ports_must_differ():
    with pytest.raises(TopologyError, match="must differ"):
        resolve_ports(SAVED, {"replica2": 3317})


def test_moves_are_the_changed_ports_of_a_saved_topology():
    assert moves_between(None, {**DEFAULT_PORTS, "primary": 3317}) == []
    assert moves_between(SAVED, SAVED) == []
    assert moves_between(SAVED, {**SAVED, "primary": 3327}) == [Move("primary", 3317, 3327)]


def test_saved_ports(tmp_path):
    assert saved_ports(tmp_path) is None
    save_topology(tmp_path, SAVED)
    assert saved_ports(tmp_path) == SAVED


# Commands suggested -----------------------------------------------------------------


def test_the_move_command_uses_make_for_the_make_targets_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    moves = [Move("primary", 3317, 3327), Move("replica2", 3309, 3329)]
    assert cli.move_command(moves, Path("var/mysql")) == (
        "make db-down && DB_PRIMARY_PORT=3327 DB_REPLICA2_PORT=3329 make db-up"
    )


def test_the_move_command_names_any_other_folder(tmp_path):
    home = tmp_path / "my topology"
    assert cli.move_command([Move("primary", 3317, 3327)], home) == (
        f".venv/bin/python -m topology down --home '{home}' && "
        f"DB_PRIMARY_PORT=3327 .venv/bin/python -m topology up --home '{home}'"
    )


# up ---------------------------------------------------------------------------------


def test_up_on_a_new_folder_uses_the_variables(tmp_path, running):
    topology, moves = cli.topology_for_up(tmp_path, {"DB_PRIMARY_PORT": "3317"})
    assert topology.ports == {**DEFAULT_PORTS, "primary": 3317}
    assert moves == []


def test_a_plain_up_keeps_the_saved_ports(tmp_path, running):
    save_topology(tmp_path, SAVED)
    running("primary")
    topology, moves = cli.topology_for_up(tmp_path, {})
    assert topology.ports == SAVED
    assert topology.primary.port == 3317
    assert moves == []


def test_up_may_request_the_port_a_running_server_already_has(tmp_path, running):
    save_topology(tmp_path, SAVED)
    running("primary")
    topology, moves = cli.topology_for_up(tmp_path, {"DB_PRIMARY_PORT": "3317"})
    assert (topology.ports, moves) == (SAVED, [])


def test_up_moves_a_stopped_server(tmp_path, running):
    save_topology(tmp_path, SAVED)
    running("replica1", "replica2")  # the primary alone may move
    topology, moves = cli.topology_for_up(tmp_path, {"DB_PRIMARY_PORT": "3327"})
    assert topology.ports == {**SAVED, "primary": 3327}
    assert moves == [Move("primary", 3317, 3327)]
    assert saved_ports(tmp_path) == SAVED, "saved by `up` itself, once it runs"


def test_up_refuses_to_move_a_running_server(tmp_path, monkeypatch, running, capsys):
    monkeypatch.chdir(tmp_path)
    save_topology(tmp_path / "var/mysql", SAVED)
    running("primary")
    monkeypatch.setenv("DB_PRIMARY_PORT", "3327")
    assert cli.main(["up"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: primary is running on port 3317, and DB_PRIMARY_PORT=3327 asks to move it.")
    assert "To move it: `make db-down && DB_PRIMARY_PORT=3327 make db-up`." in error
    assert "unset DB_PRIMARY_PORT" in error
    assert saved_ports(tmp_path / "var/mysql") == SAVED


def test_a_refused_move_names_every_requested_move(tmp_path, running):
    save_topology(tmp_path, SAVED)
    running("replica1")
    environ = {"DB_PRIMARY_PORT": "3327", "DB_REPLICA1_PORT": "3328"}
    with pytest.raises(TopologyError) as refused:
        cli.topology_for_up(tmp_path, environ)
    message = str(refused.value)
    assert message.startswith("replica1 is running on port 3308, and DB_REPLICA1_PORT=3328 asks to move it.")
    assert "primary is running" not in message
    assert "DB_PRIMARY_PORT=3327 DB_REPLICA1_PORT=3328 .venv/bin/python -m topology up" in message


# down, status, env ------------------------------------------------------------------


def test_down_status_and_env_use_the_saved_ports(tmp_path):
    save_topology(tmp_path, SAVED)
    topology, ignored = cli.topology_as_saved(tmp_path, {"DB_PRIMARY_PORT": "3307", "DB_REPLICA1_PORT": "3308"})
    assert topology.ports == SAVED
    assert ignored == [Move("primary", 3317, 3307)], "replica1 asks for its own port: nothing ignored"


def test_down_status_and_env_on_a_new_folder_use_the_variables(tmp_path):
    topology, ignored = cli.topology_as_saved(tmp_path, {"DB_PRIMARY_PORT": "3317"})
    assert topology.ports == {**DEFAULT_PORTS, "primary": 3317}
    assert ignored == []


def test_an_ignored_request_is_a_warning_with_the_move_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save_topology(tmp_path / "var/mysql", SAVED)
    monkeypatch.setenv("DB_PRIMARY_PORT", "3307")
    assert cli.main(["env"]) == 0
    output = capsys.readouterr()
    assert output.out == f"{(tmp_path / 'var/mysql/topology.env').resolve()}\n"
    assert output.err == (
        "warning: DB_PRIMARY_PORT=3307 ignored: the topology in var/mysql keeps its saved ports (primary on 3317). "
        "To move it: `make db-down && DB_PRIMARY_PORT=3307 make db-up`.\n"
    )


# client.cnf -------------------------------------------------------------------------


def test_root_password_is_read_from_the_client_config(tmp_path):
    server = Server(name="primary", port=3317, server_id=1, home=tmp_path, read_only=False)
    assert server.client_password() is None
    server.write_client_config(None)
    assert server.client_password() is None
    server.write_client_config("s3cret")
    assert server.client_password() == "s3cret"
