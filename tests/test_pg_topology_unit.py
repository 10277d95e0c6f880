"""The PostgreSQL cluster's pure parts (no server started): ports, URLs, the env file,
finding the server programs, the install message, the status table."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import dj_database_url
import pytest

from topology.pg import binaries, cli, conf
from topology.pg.account import Account, server_account
from topology.pg.binaries import MissingPostgres, find_binaries, install_hint
from topology.pg.cluster import Cluster, saved_ports
from topology.pg.errors import ClusterError
from topology.pg.ports import DEFAULT_PORTS, Move, moves_between, parse_port, requested_ports, resolve_ports
from topology.pg.programs import clean_environment
from topology.pg.report import Facts, describe_running, describe_standby_lag, format_status, parse_lsn, render_env
from topology.pg.server import PgServer
from topology.pg.urls import database_urls, multi_host_url, servers_by_alias
from topology.server import TopologyError

PASSWORD = "0123456789abcdef0123456789abcdef"


# Ports ------------------------------------------------------------------------------


def test_the_defaults_are_5433_to_5435_never_the_machines_5432():
    assert resolve_ports(None, {}) == {"primary": 5433, "replica1": 5434, "replica2": 5435}
    assert 5432 not in DEFAULT_PORTS.values()


@pytest.mark.parametrize("raw", ["abc", "80", "70000", "54.3", "-1"])
def test_a_port_variable_must_be_a_port_number(raw):
    with pytest.raises(ClusterError, match=f"PG_REPLICA2_PORT='{raw}' is not a port number from 1024 to 65535"):
        requested_ports({"PG_REPLICA2_PORT": raw})


def test_5432_is_refused_by_name():
    with pytest.raises(ClusterError, match="PG_PRIMARY_PORT=5432 is the machine's own PostgreSQL port"):
        parse_port("PG_PRIMARY_PORT", "5432")


def test_only_the_variables_that_are_set_are_requests():
    assert requested_ports({}) == {}
    assert requested_ports({"PG_PRIMARY_PORT": "6433", "PG_REPLICA1_PORT": " ", "DB_PRIMARY_PORT": "3317"}) == {
        "primary": 6433
    }


def test_saved_ports_win_over_the_defaults_and_requests_over_both():
    saved = {"primary": 6433, "replica1": 6434, "replica2": 6435}
    assert resolve_ports(saved, {}) == saved
    assert resolve_ports(saved, {"replica2": 6445}) == {**saved, "replica2": 6445}
    assert moves_between(saved, {**saved, "replica2": 6445}) == [Move("replica2", 6435, 6445)]
    assert moves_between(None, saved) == []


def test_the_three_ports_must_differ():
    with pytest.raises(ClusterError, match="must differ"):
        resolve_ports(None, {"replica1": 5433})


def test_a_move_names_its_variable():
    assert Move("replica1", 5434, 6434).assignment == "PG_REPLICA1_PORT=6434"


# URLs and the env file ------------------------------------------------------------------


def test_urls_name_each_server_and_the_auth_database():
    urls = database_urls(DEFAULT_PORTS, "primary", PASSWORD)
    assert urls["PRIMARY_DATABASE_URL"] == f"postgres://app:{PASSWORD}@127.0.0.1:5433/articles"
    assert urls["REPLICA1_DATABASE_URL"] == f"postgres://app:{PASSWORD}@127.0.0.1:5434/articles"
    assert urls["REPLICA2_DATABASE_URL"] == f"postgres://app:{PASSWORD}@127.0.0.1:5435/articles"
    assert urls["AUTH_DATABASE_URL"] == f"postgres://app:{PASSWORD}@127.0.0.1:5433/articles_auth"
    assert urls["AUTH_REPLICA1_DATABASE_URL"] == f"postgres://app:{PASSWORD}@127.0.0.1:5434/articles_auth"
    assert urls["AUTH_REPLICA2_DATABASE_URL"] == f"postgres://app:{PASSWORD}@127.0.0.1:5435/articles_auth"


def test_every_url_parses_to_djangos_postgresql_backend():
    for variable, url in database_urls(DEFAULT_PORTS, "primary", PASSWORD).items():
        config = dj_database_url.parse(url)
        assert config["ENGINE"] == "django.db.backends.postgresql", variable
        assert config["USER"] == "app"
        assert config["PASSWORD"] == PASSWORD


def test_after_a_failover_the_promoted_server_and_the_old_primary_swap_aliases():
    assert servers_by_alias("primary") == {"primary": "primary", "replica1": "replica1", "replica2": "replica2"}
    assert servers_by_alias("replica1") == {"primary": "replica1", "replica1": "primary", "replica2": "replica2"}
    urls = database_urls(DEFAULT_PORTS, "replica1", PASSWORD)
    assert urls["PRIMARY_DATABASE_URL"].endswith("@127.0.0.1:5434/articles")
    assert urls["AUTH_DATABASE_URL"].endswith("@127.0.0.1:5434/articles_auth")
    assert urls["REPLICA1_DATABASE_URL"].endswith("@127.0.0.1:5433/articles")
    assert urls["REPLICA2_DATABASE_URL"].endswith("@127.0.0.1:5435/articles"), "the delayed standby keeps its alias"


def test_the_multi_host_url_parses_into_host_and_port_lists_for_psycopg():
    # dj-database-url rejects host1:port1,host2:port2 (urllib cannot read the
    # port); encoded hosts and a `port` option survive, and Django passes
    # OPTIONS to psycopg as connection parameters.
    config = dj_database_url.parse(multi_host_url(PASSWORD, [5434, 5433, 5435], "articles"))
    assert config["HOST"] == "127.0.0.1,127.0.0.1,127.0.0.1"
    assert config["PORT"] == ""
    assert config["OPTIONS"] == {"port": "5434,5433,5435", "target_session_attrs": "read-write"}
    assert config["NAME"] == "articles"


def test_the_multi_host_urls_list_the_current_primary_first():
    urls = database_urls(DEFAULT_PORTS, "replica1", PASSWORD)
    assert dj_database_url.parse(urls["PRIMARY_MULTIHOST_DATABASE_URL"])["OPTIONS"]["port"] == "5434,5433,5435"
    assert dj_database_url.parse(urls["AUTH_MULTIHOST_DATABASE_URL"])["NAME"] == "articles_auth"


def test_host_port_lists_in_the_authority_are_what_dj_database_url_cannot_parse():
    with pytest.raises(ValueError, match="not a valid url"):
        dj_database_url.parse(f"postgres://app:{PASSWORD}@127.0.0.1:5433,127.0.0.1:5434/articles")


def test_the_env_file_has_every_url_the_demo_user_and_the_notes():
    text = render_env({"PRIMARY_DATABASE_URL": "postgres://a", "AUTH_DATABASE_URL": "postgres://b"}, ["a note"])
    lines = text.splitlines()
    assert lines[0].startswith("# Written by `make pg-up`")
    assert "# a note" in lines
    assert "PRIMARY_DATABASE_URL=postgres://a" in lines
    assert "AUTH_DATABASE_URL=postgres://b" in lines
    assert lines[-2:] == ["DEMO_USER=demo", "DEMO_PASSWORD=demo"]
    assert text.endswith("\n")


# State (files only) -----------------------------------------------------------------------


def test_passwords_are_generated_once_and_kept_in_a_private_state_file(tmp_path):
    cluster = Cluster(tmp_path, dict(DEFAULT_PORTS))
    first = cluster.secrets()
    assert set(first) == {"postgres", "repl", "app"}
    assert all(len(password) == 32 and password.isalnum() for password in first.values())
    assert stat.S_IMODE(cluster.state_file.stat().st_mode) == 0o600
    assert Cluster(tmp_path, dict(DEFAULT_PORTS)).secrets() == first
    assert saved_ports(tmp_path) == DEFAULT_PORTS


def test_the_state_file_says_which_server_is_the_primary(tmp_path):
    cluster = Cluster(tmp_path, dict(DEFAULT_PORTS))
    assert cluster.primary_name == "primary"
    cluster.secrets()
    state = json.loads(cluster.state_file.read_text())
    state["primary"] = "replica1"
    cluster.state_file.write_text(json.dumps(state))
    assert cluster.primary.name == "replica1"
    assert [server.name for server in cluster.standbys] == ["primary", "replica2"]
    assert cluster.urls()["PRIMARY_DATABASE_URL"].endswith(":5434/articles")


def test_loading_a_folder_without_a_cluster_says_how_to_make_one(tmp_path):
    with pytest.raises(ClusterError, match="make pg-up"):
        Cluster.load(tmp_path)


def test_cluster_errors_are_topology_errors():
    assert issubclass(ClusterError, TopologyError)


# Finding the server programs ------------------------------------------------------------


def fake_bindir(folder: Path, version: str = "15.4", programs: tuple[str, ...] = binaries.REQUIRED_PROGRAMS) -> Path:
    """A folder of stand-in programs; `postgres --version` answers like the real one."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in programs:
        script = folder / name
        script.write_text(f'#!/bin/sh\necho "{name} (PostgreSQL) {version}"\n')
        script.chmod(0o755)
    return folder


def fake_pg_config(folder: Path, bindir: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pg_config"
    script.write_text(f'#!/bin/sh\necho "{bindir}"\n')
    script.chmod(0o755)
    return folder


def test_pg_bindir_wins_over_pg_config_and_path(tmp_path):
    explicit = fake_bindir(tmp_path / "explicit")
    configured = fake_bindir(tmp_path / "configured")
    on_path = fake_bindir(tmp_path / "on-path")
    path = f"{fake_pg_config(tmp_path / 'config', configured)}:{on_path}"
    found = find_binaries({"PG_BINDIR": str(explicit), "PATH": path}, well_known=())
    assert (found.bindir, found.source) == (explicit, "PG_BINDIR")
    assert found.major == 15


def test_pg_config_bindir_comes_before_pg_ctl_on_path(tmp_path):
    configured = fake_bindir(tmp_path / "configured")
    on_path = fake_bindir(tmp_path / "on-path")
    path = f"{on_path}:{fake_pg_config(tmp_path / 'config', configured)}"
    found = find_binaries({"PATH": path}, well_known=())
    assert (found.bindir, found.source) == (configured, "pg_config --bindir")


def test_a_pg_config_folder_without_the_server_programs_is_passed_over(tmp_path):
    # libpq-dev's pg_config names /usr/bin, which has psql but no initdb.
    client_only = fake_bindir(tmp_path / "client", programs=("psql",))
    real = fake_bindir(tmp_path / "real")
    (tmp_path / "path").mkdir()
    (tmp_path / "path" / "pg_ctl").symlink_to(real / "pg_ctl")
    path = f"{fake_pg_config(tmp_path / 'config', client_only)}:{tmp_path / 'path'}"
    found = find_binaries({"PATH": path}, well_known=())
    assert (found.bindir, found.source) == (real, "pg_ctl on PATH"), "the symlink is followed to the real folder"


def test_without_path_hits_the_newest_packaged_folder_is_used(tmp_path):
    for version in ("13", "16", "9"):
        fake_bindir(tmp_path / "lib" / version / "bin", version=f"{version}.1")
    found = find_binaries({"PATH": str(tmp_path / "empty")}, well_known=(str(tmp_path / "lib" / "*" / "bin"),))
    assert found.bindir == tmp_path / "lib" / "16" / "bin"


def test_a_pg_bindir_without_the_programs_says_what_is_missing(tmp_path):
    folder = fake_bindir(tmp_path / "partial", programs=("psql", "pg_ctl"))
    with pytest.raises(MissingPostgres, match=f"PG_BINDIR={folder} has no initdb, postgres, pg_basebackup"):
        find_binaries({"PG_BINDIR": str(folder), "PATH": ""}, well_known=())


def test_too_old_a_server_is_refused(tmp_path):
    folder = fake_bindir(tmp_path / "old", version="12.9")
    with pytest.raises(MissingPostgres, match="needs PostgreSQL 13 or later"):
        find_binaries({"PG_BINDIR": str(folder)}, well_known=())


@pytest.mark.parametrize(
    ("system", "command"), [("Linux", "sudo apt-get install postgresql"), ("Darwin", "brew install postgresql")]
)
def test_without_any_server_the_error_is_the_install_command(tmp_path, monkeypatch, system, command):
    monkeypatch.setattr(binaries.platform, "system", lambda: system)
    assert install_hint() == f"Install them with: {command}"
    with pytest.raises(MissingPostgres) as missing:
        find_binaries({"PATH": str(tmp_path)}, well_known=())
    assert str(missing.value).endswith(f"Install them with: {command}")
    assert "\n" not in str(missing.value)


def test_every_command_but_env_stops_at_the_install_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(binaries.platform, "system", lambda: "Linux")
    environ = {"PG_BINDIR": str(tmp_path / "nothing-here"), "PATH": ""}
    for command in ("up", "status", "down", "failover"):
        assert cli.main([command, "--home", str(tmp_path / "home")], environ) == 1
        error = capsys.readouterr().err
        assert error.startswith("error: ")
        assert error.rstrip().endswith("Install them with: sudo apt-get install postgresql")
    assert not (tmp_path / "home").exists(), "nothing was made"


def test_a_bad_port_is_an_error_before_anything_is_made(tmp_path, capsys):
    environ = {"PG_BINDIR": str(fake_bindir(tmp_path / "bin")), "PG_REPLICA1_PORT": "99999"}
    assert cli.main(["up", "--home", str(tmp_path / "home")], environ) == 1
    assert capsys.readouterr().err == "error: PG_REPLICA1_PORT='99999' is not a port number from 1024 to 65535.\n"
    assert not (tmp_path / "home").exists()


def test_replica_delay_must_be_whole_seconds():
    assert cli.delay_from_environment({}) is None
    assert cli.delay_from_environment({"REPLICA_DELAY": "0"}) == 0
    with pytest.raises(ClusterError, match="REPLICA_DELAY='2s' is not a whole number of seconds"):
        cli.delay_from_environment({"REPLICA_DELAY": "2s"})


def test_suggested_commands_are_make_targets_only_for_the_default_folder(tmp_path):
    assert cli.cluster_command("up", Path("var/postgres")) == "make pg-up"
    assert cli.cluster_command("down", tmp_path) == f".venv/bin/python -m topology.pg down --home {tmp_path}"


# Accounts and environment -----------------------------------------------------------------


def test_as_root_the_servers_run_as_the_postgres_account():
    entry = type("Entry", (), {"pw_uid": 101, "pw_gid": 104})()
    account = server_account(euid=0, lookup=lambda name: entry, which=lambda name: "/usr/sbin/runuser")
    assert account == Account(name="postgres", uid=101, gid=104, switch="/usr/sbin/runuser")
    assert account.command(["initdb", "-D", "x"]) == ["/usr/sbin/runuser", "-u", "postgres", "--", "initdb", "-D", "x"]


def test_as_root_without_a_postgres_account_the_error_says_what_to_do():
    def no_such_account(name):
        raise KeyError(name)

    with pytest.raises(ClusterError, match="PostgreSQL refuses to run as root, and there is no `postgres` account"):
        server_account(euid=0, lookup=no_such_account)


def test_as_another_user_the_programs_run_as_that_user():
    account = Account(name="alice", uid=1000, gid=1000)
    assert not account.switches
    assert account.command(["pg_ctl", "start"]) == ["pg_ctl", "start"]


def test_the_users_libpq_variables_never_reach_the_clusters_programs():
    environment = clean_environment({"PGHOST": "db.example", "PGPORT": "5432", "PATH": "/bin"}, password="s3cret")
    assert environment["PATH"] == "/bin"
    assert "PGHOST" not in environment
    assert "PGPORT" not in environment
    assert environment["PGPASSWORD"] == "s3cret"


# Configuration files -------------------------------------------------------------------------


def test_access_is_by_password_on_127_0_0_1_and_the_superuser_only_through_the_socket():
    rules = [line.split() for line in conf.hba_conf().splitlines() if not line.startswith("#")]
    assert rules == [
        ["local", "all", "all", "scram-sha-256"],
        ["host", "all", "postgres", "127.0.0.1/32", "reject"],
        ["host", "replication", "repl", "127.0.0.1/32", "scram-sha-256"],
        ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"],
    ]


def test_each_server_listens_on_127_0_0_1_with_its_own_port_and_socket(tmp_path):
    text = conf.server_conf("replica1", 5434, tmp_path)
    assert "port = 5434" in text
    assert "listen_addresses = '127.0.0.1'" in text
    assert f"unix_socket_directories = '{tmp_path}'" in text
    assert "cluster_name = 'replica1'" in text


def test_a_socket_folder_too_long_for_sockaddr_un_moves_to_a_short_one():
    short = Path("/srv/cluster/primary")
    assert conf.socket_folder(short) == short
    long = Path("/srv/" + "a-very-long-folder-name/" * 5 + "primary")
    moved = conf.socket_folder(long)
    assert moved != long
    assert len(str(moved / ".s.PGSQL.65535")) < 100
    assert conf.socket_folder(long) == moved, "the same server always gets the same folder"


def test_a_standby_starts_from_its_own_conninfo_and_slot():
    text = conf.standby_auto_conf(conf.primary_conninfo(5434, PASSWORD, "replica2"), "replica2")
    assert (
        f"primary_conninfo = 'host=127.0.0.1 port=5434 user=repl password={PASSWORD} application_name=replica2'" in text
    )
    assert "primary_slot_name = 'replica2'" in text


def test_quotes_are_doubled():
    assert conf.quote("it's") == "'it''s'"


def test_a_server_knows_its_port_from_its_pid_file(tmp_path):
    server = PgServer(name="primary", port=5433, home=tmp_path)
    assert server.pid() is None
    assert not server.is_initialized()
    server.datadir.mkdir()
    server.pid_file.write_text(f"999999999\n{server.datadir}\n1700000000\n5440\n{tmp_path}\n127.0.0.1\n")
    assert server.running_port() == 5440
    assert server.pid() is None, "no such process"


# Status --------------------------------------------------------------------------------------


def test_lsns_are_byte_positions():
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848


def facts(**changes) -> Facts:
    values = {
        "in_recovery": True,
        "lsn": "0/3000060",
        "replay_age": 300.0,
        "delay_ms": 0,
        "receiver": "streaming",
        "sender_port": 5433,
        "port": 5434,
    }
    return Facts(**{**values, **changes})


def test_facts_parse_from_psql_output():
    parsed = Facts.parse("t\t0/3000060\t1.5\t2000\tstreaming\t5433\t5434\n")
    assert parsed == facts(replay_age=1.5, delay_ms=2000)
    assert Facts.parse("f\t0/3000060\t\t0\t\t\t5433\n").sender_port is None


def test_an_idle_standby_that_replayed_everything_lags_zero_whatever_its_last_commits_age():
    assert describe_standby_lag(facts(replay_age=300.0), "0/3000060") == {"lag_s": "0", "lag_bytes": "0"}


def test_a_standby_behind_lags_its_bytes_and_the_age_of_its_last_commit():
    assert describe_standby_lag(facts(replay_age=2.5), "0/3000100") == {"lag_s": "2.5", "lag_bytes": "160"}
    assert describe_standby_lag(facts(), None) == {"lag_s": "-", "lag_bytes": "-"}


def test_a_row_shows_role_receiver_upstream_and_delay():
    row = describe_running(
        "replica2", facts(delay_ms=2000), primary="primary", primary_port=5433, primary_lsn="0/3000060", log_file="x"
    )
    assert row["role"] == "standby"
    assert row["in_recovery"] == "t"
    assert row["receiver"] == "streaming"
    assert row["upstream"] == "5433"
    assert row["delay"] == "2"
    assert "error" not in row


def test_a_second_primary_is_an_error_in_the_status():
    row = describe_running(
        "primary", facts(in_recovery=False), primary="replica1", primary_port=5434, primary_lsn=None, log_file="x"
    )
    assert "two primaries" in row["error"]


def test_a_standby_streaming_from_the_wrong_port_or_from_nowhere_is_an_error():
    wrong = describe_running(
        "replica2", facts(sender_port=5433), primary="replica1", primary_port=5434, primary_lsn=None, log_file="x"
    )
    assert "replicates from port 5433, but the primary (replica1) is on 5434" in wrong["error"]
    idle = describe_running(
        "replica2",
        facts(receiver="", sender_port=None),
        primary="primary",
        primary_port=5433,
        primary_lsn=None,
        log_file="/log",
    )
    assert idle["receiver"] == "none"
    assert "receives no WAL" in idle["error"]


def test_the_status_table_lines_up_and_lists_errors_and_notes_after_it():
    rows = [
        {"server": "primary", "port": "5433", "state": "stopped", "note": "was the primary"},
        {"server": "replica1", "port": "5434", "state": "running", "role": "primary", "error": "oops"},
    ]
    lines = format_status(rows).splitlines()
    assert lines[0].split() == [
        "server", "port", "state", "role", "in_recovery", "receiver", "upstream", "lsn", "lag_s", "lag_bytes", "delay"
    ]  # fmt: skip
    assert lines[1].split()[:3] == ["primary", "5433", "stopped"]
    assert lines[-2:] == ["replica1: oops", "primary: was the primary"]
