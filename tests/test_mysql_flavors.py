"""MariaDB and Oracle MySQL as the topology and the doctor tell them apart, without a server.

The real servers are in tests/mysql/, which runs on both; this is the logic
between: which binary is which server, what each is told, what a greeting says.
"""

from __future__ import annotations

import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from project.mysql_driver import _login_failures_as_database_errors
from routing.diagnosis import Target
from routing.engines.base import ConnectError, explain
from routing.engines.mysql.errors import EXPLANATIONS, server_advice
from routing.engines.mysql.greeting import UNKNOWN, ServerKind, parse_greeting, read_greeting
from topology.binaries import MissingServer, find_binaries, find_flavor
from topology.flavors import MariaDB, MySQL, ReplicationState
from topology.oracle_mysql import BuildError, apt_mirror, debootstrap, loader_for, write_wrappers

MARIADB_VERSION = "/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)"
MYSQL_VERSION = "/opt/mysql/usr/sbin/mysqld  Ver 9.7.4-2 for Linux on x86_64 ((Debian))"


# Which server a binary is -----------------------------------------------------------------


def fake_program(folder: Path, name: str, prints: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(f"#!/bin/sh\necho '{prints}'\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return program


def test_mysqld_named_by_mysqld_is_mysql_with_its_client_beside_it(tmp_path):
    server = fake_program(tmp_path / "bin", "mysqld", MYSQL_VERSION)
    client = fake_program(tmp_path / "bin", "mysql")
    binaries = find_binaries({"MYSQLD": str(server), "PATH": ""})
    assert (binaries.server, binaries.client, binaries.install_db) == (str(server), str(client), "")
    assert binaries.server_name == "MySQL 9.7.4"
    assert isinstance(binaries.flavor, MySQL)


def test_mariadbd_named_by_mysqld_finds_its_bootstrap_tool(tmp_path):
    server = fake_program(tmp_path / "sbin", "mariadbd", MARIADB_VERSION)
    install_db = fake_program(tmp_path / "bin", "mariadb-install-db")
    fake_program(tmp_path / "bin", "mariadb")
    binaries = find_binaries({"MYSQLD": str(server), "PATH": ""})
    assert binaries.install_db == str(install_db)
    assert binaries.server_name == "MariaDB 10.11.19"


def test_a_missing_mysqld_path_says_how_to_make_one(tmp_path):
    with pytest.raises(MissingServer, match=r"no such file.*make oracle-mysql"):
        find_binaries({"MYSQLD": str(tmp_path / "nothing" / "mysqld")})


def test_the_oracle_mysql_run_insists_on_oracle_mysql(tmp_path, monkeypatch):
    monkeypatch.setattr("topology.binaries.ORACLE_MYSQL", tmp_path / "absent" / "mysqld")
    monkeypatch.setattr("topology.binaries._EXTRA_DIRS", [])
    mariadbd = fake_program(tmp_path / "sbin", "mariadbd", MARIADB_VERSION)
    fake_program(tmp_path / "bin", "mariadb-install-db")
    fake_program(tmp_path / "bin", "mariadb")
    monkeypatch.setenv("PATH", str(tmp_path / "sbin"))
    with pytest.raises(MissingServer, match=r"No Oracle MySQL server.*make oracle-mysql"):
        find_flavor("MySQL", {"MYSQLD": str(mariadbd)})
    assert find_flavor("MariaDB", {"MYSQLD": str(mariadbd)}).server == str(mariadbd)


# What each server is told --------------------------------------------------------------------


def test_replication_status_reads_both_column_sets():
    mariadb = ReplicationState.from_columns(
        {"Master_Host": "127.0.0.1", "Master_Port": "3307", "Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes"}
    )
    mysql = ReplicationState.from_columns(
        {"Source_Host": "127.0.0.1", "Source_Port": "3307", "Replica_IO_Running": "Yes", "Replica_SQL_Running": "No"}
    )
    assert (mariadb.source_port, mariadb.running) == ("3307", True)
    assert (mysql.source_port, mysql.running, mysql.sql_running) == ("3307", False, "No")
    assert not ReplicationState.from_columns({}).configured


def test_mysql_replicas_bind_privileged_accounts_and_use_auto_positioning():
    assert {"--read-only", "--super-read-only"} <= set(MySQL().server_options(read_only=True))
    assert "--super-read-only" not in MySQL().server_options(read_only=False)
    pointed = MySQL().point_replica(3307, "repl", "secret")
    assert "CHANGE REPLICATION SOURCE TO" in pointed
    assert "SOURCE_AUTO_POSITION = 1" in pointed
    assert "MASTER_USE_GTID = slave_pos" in MariaDB().point_replica(3307, "repl", "secret")
    assert "SOURCE_DELAY = 2" in MySQL().set_delay(2)


def test_mysql_app_accounts_use_caching_sha2_and_never_super():
    statements = " ".join(MySQL().app_account("'app'@'127.0.0.1'", "pw"))
    assert "IDENTIFIED WITH caching_sha2_password" in statements
    assert "SUPER" not in statements
    assert "CONNECTION_ADMIN" not in statements


def test_local_writes_on_a_mysql_replica_lift_super_read_only_and_put_it_back():
    statements = MySQL().unlogged("INSERT INTO t VALUES (1);", read_only=True)
    assert statements.startswith("SET GLOBAL super_read_only = OFF; SET SESSION sql_log_bin = 0;")
    assert statements.endswith("SET GLOBAL super_read_only = ON;")
    assert MariaDB().unlogged("INSERT INTO t VALUES (1);", read_only=True) == (
        "SET SESSION sql_log_bin = 0; INSERT INTO t VALUES (1);"
    )


# What a greeting says -----------------------------------------------------------------------


def greeting_packet(version: str) -> bytes:
    payload = b"\x0a" + version.encode() + b"\0" + b"\x01\x00\x00\x00" + b"salt1234\0"
    return len(payload).to_bytes(3, "little") + b"\0" + payload


def test_greetings_name_the_server_and_its_version():
    assert parse_greeting(greeting_packet("9.7.4-2")) == ServerKind("MySQL", (9, 7, 4))
    assert parse_greeting(greeting_packet("8.4.3")) == ServerKind("MySQL", (8, 4, 3))
    assert parse_greeting(greeting_packet("5.5.5-10.11.19-MariaDB-0+deb12u1")) == ServerKind("MariaDB", (10, 11, 19))
    assert parse_greeting(b"HTTP/1.1 400 Bad Request\r\n") == UNKNOWN
    assert parse_greeting(b"") == UNKNOWN


def test_a_greeting_is_read_from_whatever_listens():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def answer():
            connection, _ = listener.accept()
            with connection:
                connection.sendall(greeting_packet("9.7.4-2"))

        thread = threading.Thread(target=answer)
        thread.start()
        assert read_greeting("127.0.0.1", port).label == "MySQL 9.7.4"
        thread.join()
    # Nothing listens there any more.
    assert read_greeting("127.0.0.1", port, timeout=0.5) == UNKNOWN


# The advice for each server ------------------------------------------------------------------

TARGET = Target(
    alias="primary", host="127.0.0.1", port="3306", user="root", database="articles", url_variable="PRIMARY_URL"
)


def advice_for(kind: ServerKind, code: str = "1698", message: str = "Access denied for user 'root'@'localhost'"):
    return explain(EXPLANATIONS, ConnectError(code, message), TARGET, **server_advice(kind))


def test_os_login_advice_on_mysql_9_uses_caching_sha2_and_warns_off_native_password():
    fix = advice_for(ServerKind("MySQL", (9, 7, 4))).fix
    assert fix.startswith("On MySQL 9.7.4, this account logs in through the operating system (auth_socket)")
    assert "sudo mysql -e \"CREATE USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY" in fix
    assert "removed in 9.0" in fix


def test_os_login_advice_on_mariadb_keeps_unix_socket_and_native_password():
    fix = advice_for(ServerKind("MariaDB", (10, 11, 19))).fix
    assert "(unix_socket)" in fix
    assert "sudo mariadb -e \"CREATE USER 'app'@'%' IDENTIFIED BY" in fix
    assert "IDENTIFIED VIA unix_socket OR mysql_native_password" in fix


def test_os_login_advice_for_an_unknown_server_covers_both():
    fix = advice_for(UNKNOWN).fix
    assert fix.startswith("On the server, this account")
    assert "caching_sha2_password" in fix


@pytest.mark.parametrize(
    ("code", "message", "says"),
    [
        (
            "1045",
            "Plugin caching_sha2_password could not be loaded: /x/caching_sha2_password.so: cannot open shared object",
            "libmariadb3",
        ),
        (
            "2059",
            "'cryptography' package is required for sha256_password or caching_sha2_password auth methods",
            "requirements-pymysql.txt",
        ),
    ],
)
def test_a_client_without_caching_sha2_support_is_explained(code, message, says):
    finding = advice_for(ServerKind("MySQL", (9, 7, 4)), code, message)
    assert "caching_sha2_password" in finding.problem
    assert says in finding.fix


def test_pymysqls_runtime_error_becomes_a_database_error():
    class OperationalError(Exception):
        pass

    def connect(**kwargs):
        raise RuntimeError("'cryptography' package is required for sha256_password or caching_sha2_password auth")

    wrapped = _login_failures_as_database_errors(connect, OperationalError)
    with pytest.raises(OperationalError) as raised:
        wrapped(host="127.0.0.1")
    assert raised.value.args[0] == 2059
    assert "cryptography" in raised.value.args[1]


# make oracle-mysql ----------------------------------------------------------------------------


def test_the_mirror_is_the_one_apt_uses(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
    )
    assert apt_mirror(tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list.d" / "debian.sources").unlink()
    (tmp_path / "sources.list").write_text("deb [arch=amd64] http://old.example/debian/ bookworm main\n")
    assert apt_mirror(tmp_path) == "http://old.example/debian"
    (tmp_path / "sources.list").unlink()
    assert apt_mirror(tmp_path) == "http://deb.debian.org/debian"


def test_an_architecture_without_a_recipe_is_refused():
    with pytest.raises(BuildError, match="No recipe for riscv64"):
        loader_for("riscv64")


def test_missing_debootstrap_names_the_install_command(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("topology.oracle_mysql.Path.exists", lambda self: False)
    with pytest.raises(BuildError, match="apt-get install debootstrap"):
        debootstrap()


def test_the_wrappers_run_the_roots_programs_through_its_loader_without_the_hosts_options(tmp_path):
    loader, _ = loader_for()
    # A stand-in loader that prints the command line it was given.
    fake_program(tmp_path / "root" / Path(loader).parent, Path(loader).name)
    (tmp_path / "root" / loader).write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    mysqld = write_wrappers(tmp_path, "9.7.4")

    def arguments(*args: str) -> list[str]:
        return subprocess.run([str(mysqld), *args], capture_output=True, text=True, check=True).stdout.splitlines()

    plain = arguments("--port=3310")
    root = str((tmp_path / "root").resolve())
    assert plain[:2] == ["--library-path", f"{root}/usr/lib/{loader_for()[1]}:{root}/lib/{loader_for()[1]}"]
    assert plain[2:4] == [f"{root}/usr/sbin/mysqld", "--no-defaults"]  # never the host's /etc/mysql/my.cnf
    assert f"--basedir={root}/usr" in plain
    assert "--secure-file-priv=NULL" in plain
    assert plain[-1] == "--port=3310"
    # An option file stays the first option, as mysqld requires.
    assert arguments("--defaults-file=/x/my.cnf", "--port=1")[3] == "--defaults-file=/x/my.cnf"
    assert (tmp_path / "bin" / "mysql").exists()
