"""A primary and two replicas of MariaDB or Oracle MySQL, owned by the project.

Everything lives under one folder (``var/mysql/`` for ``make db-up``; a
temporary folder for the test suite): each server's data, socket, log and
client option file, ``topology.json`` (ports and generated passwords) and
``topology.env`` (the database URLs the service reads through ``ENV_FILE``).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from topology.binaries import Binaries, MissingServer, binaries_for, find_binaries
from topology.flavors import Flavor, ReplicationState
from topology.server import Server, TopologyError

DATA_DATABASE = "articles"
AUTH_DATABASE = "articles_auth"
APP_USER = "app"
REPLICATION_USER = "repl"
DEFAULT_PORTS = {"primary": 3307, "replica1": 3308, "replica2": 3309}
REPLICAS = ("replica1", "replica2")
DELAYED_REPLICA = "replica2"
# How long `up` waits for a replica's IO thread to connect to the primary.
REPLICA_CONNECT_TIMEOUT_SECONDS = 10


def _password() -> str:
    return secrets.token_hex(16)  # URL-safe: it goes into database URLs unquoted


def saved_ports(home: Path) -> dict[str, int] | None:
    """The ports recorded in ``home/topology.json``; None when no topology was made there yet."""
    state_file = home / "topology.json"
    if not state_file.exists():
        return None
    ports = json.loads(state_file.read_text()).get("ports")
    if ports is None:
        return None
    return {name: int(ports[name]) for name in DEFAULT_PORTS}


def saved_server(home: Path) -> str | None:
    """The server binary recorded in ``home/topology.json``; None for a new topology (or an older one)."""
    state_file = home / "topology.json"
    if not state_file.exists():
        return None
    return json.loads(state_file.read_text()).get("server")


def binaries_for_topology(home: Path, environ: Mapping[str, str] | None = None) -> Binaries:
    """MYSQLD's server when set, else the one the topology was made with, else the first found.

    A topology remembers its server, so that `make db-status` or `make db-down`
    after `MYSQLD=... make db-up` talk to it with the right client and SQL.
    """
    environ = os.environ if environ is None else environ
    saved = saved_server(home)
    if environ.get("MYSQLD", "").strip() or saved is None:
        return find_binaries(environ)
    try:
        return binaries_for(saved)
    except MissingServer as error:
        raise TopologyError(
            f"The topology in {home} was made with {saved}, which no longer runs ({error}). "
            "Set MYSQLD to a server of the same kind, e.g. run `make oracle-mysql` again for Oracle MySQL."
        ) from None


def _refuse_other_flavor(home: Path, binaries: Binaries) -> None:
    """A data folder made by MariaDB cannot be run by MySQL, nor the other way round."""
    saved = saved_server(home)
    if saved is None or saved == binaries.server:
        return
    try:
        made_with = binaries_for(saved)
    except MissingServer:
        return  # gone: the new binary is the user's replacement
    if made_with.flavor.name != binaries.flavor.name:
        raise TopologyError(
            f"The topology in {home} was made with {made_with.server_name} ({saved}); "
            f"{binaries.server_name} ({binaries.server}) cannot run its data. Unset MYSQLD to keep using it, "
            f"or remove the folder to start afresh: make db-down && rm -rf {home}"
        )


@dataclass
class Topology:
    home: Path
    ports: dict[str, int]

    def __post_init__(self) -> None:
        self.home = self.home.resolve()
        self.servers = {
            name: Server(
                name=name,
                port=self.ports[name],
                server_id=index + 1,
                home=self.home / name,
                read_only=name != "primary",
            )
            for index, name in enumerate(DEFAULT_PORTS)
        }

    @property
    def primary(self) -> Server:
        return self.servers["primary"]

    @property
    def replicas(self) -> list[Server]:
        return [self.servers[name] for name in REPLICAS]

    @property
    def state_file(self) -> Path:
        return self.home / "topology.json"

    @property
    def env_file(self) -> Path:
        return self.home / "topology.env"

    # Secrets ------------------------------------------------------------------

    @classmethod
    def load(cls, home: Path) -> Topology:
        """The topology that `up` left in ``home``, with the ports it used."""
        ports = saved_ports(home)
        if ports is None:
            raise TopologyError(f"No topology in {home}: `make db-up` makes one.")
        return cls(home, ports)

    def secrets(self) -> dict[str, str]:
        """Passwords generated on the first start and kept in topology.json (mode 600)."""
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())["passwords"]
        passwords = {"root": _password(), REPLICATION_USER: _password(), APP_USER: _password()}
        self._save_state(passwords)
        return passwords

    def _save_state(self, passwords: dict[str, str]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        state = {"passwords": passwords, "ports": self.ports, "server": self.binaries.server}
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")
        self.state_file.chmod(0o600)

    def admin_sql(self, name: str, statements: str) -> str:
        """Run SQL as root on one server (for tests and maintenance)."""
        return self.servers[name].sql(self.binaries, statements)

    def replication_status(self, name: str) -> ReplicationState:
        return self.servers[name].replica_status(self.binaries)

    @property
    def binaries(self) -> Binaries:
        """The server programs this topology runs (see :func:`binaries_for_topology`)."""
        if getattr(self, "_binaries", None) is None:
            self._binaries = binaries_for_topology(self.home)
        return self._binaries

    @property
    def flavor(self) -> Flavor:
        return self.binaries.flavor

    def unlogged_sql(self, name: str, statements: str) -> str:
        """Run SQL as root on one server alone (not replicated): how a test makes a replica drift."""
        server = self.servers[name]
        return server.sql(self.binaries, self.flavor.unlogged(statements, server.read_only))

    def start_replication(self, name: str) -> None:
        self.servers[name].sql(self.binaries, self.flavor.start_replica)

    def stop_replication(self, name: str) -> None:
        self.servers[name].sql(self.binaries, self.flavor.stop_replica)

    def move_source_port(self, name: str, port: int) -> None:
        """Point replica ``name`` at another port of 127.0.0.1 (for tests of a moved primary)."""
        self.servers[name].sql(self.binaries, self.flavor.move_source_port(port))

    def primary_position(self) -> str:
        variable = self.flavor.primary_gtid_variable
        return _one_line(self.primary.sql(self.binaries, f"SELECT @@GLOBAL.{variable}").strip())

    def wait_for_position(self, name: str, position: str, timeout: float) -> bool:
        """Whether replica ``name`` applies the primary's ``position`` within ``timeout`` seconds."""
        return self.servers[name].sql(self.binaries, self.flavor.wait_for_position(position, timeout)).strip() == "0"

    # Up -------------------------------------------------------------------------

    def up(self, *, replica_delay: int | None = None, binaries: Binaries | None = None) -> list[str]:
        """Start what is down, configure what is new; return what was done."""
        if binaries is not None:
            self._binaries = binaries
        binaries = self.binaries
        _refuse_other_flavor(self.home, binaries)
        passwords = self.secrets()
        done: list[str] = []
        self._check_running_ports(binaries)
        # Recorded before any server starts: a server only ever runs on the
        # ports in topology.json, which every later command reads.
        self._save_state(passwords)

        fresh = [server for server in self.servers.values() if not server.is_initialized()]
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda server: server.initialize(binaries), fresh))
        done += [f"initialized {server.name}" for server in fresh]

        stopped = [server for server in self.servers.values() if server.pid() is None]
        for server in stopped:
            server.start(binaries)
        for server in stopped:
            server.wait_until_ready()
        done += [f"started {server.name} on port {server.port}" for server in stopped]

        # Not only the fresh servers: an `up` that failed after initializing
        # (a port in use, say) left servers whose root has no password yet.
        for server in self.servers.values():
            if server.client_password() is None:
                server.sql(binaries, binaries.flavor.secure_root(passwords["root"], server.read_only))
                server.write_client_config(passwords["root"])
        self._create_users_and_databases(binaries, passwords)
        for replica in self.replicas:
            done += self._ensure_replication(replica, binaries, passwords)
        if replica_delay is not None:
            done += self.set_delay(DELAYED_REPLICA, replica_delay, binaries=binaries)
        self._verify_replication(binaries)
        self._write_env_file(passwords)
        return done

    def _check_running_ports(self, binaries: Binaries) -> None:
        # Asks each running server for its port: the files it was started from may be stale.
        for server in self.servers.values():
            if server.pid() is None:
                continue
            running_port = server.running_port(binaries)
            if running_port != server.port:
                raise TopologyError(
                    f"{server.name} is running on port {running_port}, not {server.port}. "
                    f"Stop it (`make db-down`), then `make db-up` starts it on port {server.port}."
                )

    def _create_users_and_databases(self, binaries: Binaries, passwords: dict[str, str]) -> None:
        # Binlogged on the primary, so the replicas receive the same accounts and
        # databases by replication. Idempotent: it runs on every `up`, so a
        # topology made by an older version gets new grants.
        #
        # The application user has no SUPER, READ ONLY ADMIN or CONNECTION_ADMIN,
        # so a read_only replica really refuses its writes. It may read
        # replication state (lag, threads), which changes nothing.
        app, repl = passwords[APP_USER], passwords[REPLICATION_USER]
        charset = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        statements = [
            f"CREATE USER IF NOT EXISTS '{REPLICATION_USER}'@'127.0.0.1' IDENTIFIED BY '{repl}'",
            f"GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'127.0.0.1'",
            f"CREATE DATABASE IF NOT EXISTS {DATA_DATABASE} {charset}",
            f"CREATE DATABASE IF NOT EXISTS {AUTH_DATABASE} {charset}",
        ]
        for host in ("127.0.0.1", "localhost"):
            account = f"'{APP_USER}'@'{host}'"
            statements += [
                *binaries.flavor.app_account(account, app),
                f"GRANT ALL PRIVILEGES ON `{DATA_DATABASE}`.* TO {account}",
                f"GRANT ALL PRIVILEGES ON `{AUTH_DATABASE}`.* TO {account}",
                # Django's test runner creates and drops test_<name> databases.
                f"GRANT ALL PRIVILEGES ON `test\\_%`.* TO {account}",
            ]
        self.primary.sql(binaries, "; ".join(statements) + ";")

    def _ensure_replication(self, replica: Server, binaries: Binaries, passwords: dict[str, str]) -> list[str]:
        status = replica.replica_status(binaries)
        if (status.source_host, status.source_port) != ("127.0.0.1", str(self.primary.port)):
            statements = binaries.flavor.point_replica(self.primary.port, REPLICATION_USER, passwords[REPLICATION_USER])
            replica.sql(binaries, statements)
            return [f"{replica.name} replicates from the primary (port {self.primary.port})"]
        if not status.running:
            replica.sql(binaries, binaries.flavor.start_replica)
            return [f"restarted replication on {replica.name}"]
        return []

    def _verify_replication(self, binaries: Binaries) -> None:
        """Fail loudly rather than leave a replica pointed at a port where the primary does not run."""
        primary_port = self.primary.running_port(binaries)
        for replica in self.replicas:
            self._wait_until_connected(replica, primary_port, binaries)

    def _wait_until_connected(self, replica: Server, primary_port: int, binaries: Binaries) -> None:
        deadline = time.monotonic() + REPLICA_CONNECT_TIMEOUT_SECONDS
        while True:
            status = replica.replica_status(binaries)
            source = f"{status.source_host}:{status.source_port}"
            if source != f"127.0.0.1:{primary_port}":
                raise TopologyError(
                    f"{replica.name} replicates from {source}, but the primary runs on 127.0.0.1:{primary_port}. "
                    "Run `make db-down`, then `make db-up`."
                )
            if status.io_running == "Yes":
                return
            if time.monotonic() >= deadline:
                raise TopologyError(
                    f"{replica.name} did not connect to the primary on port {primary_port} within "
                    f"{REPLICA_CONNECT_TIMEOUT_SECONDS} s (IO thread: {status.io_running or 'not started'}). "
                    f"Last error: {status.io_error or 'none'}. See {replica.log_file}"
                )
            time.sleep(0.1)

    def set_delay(self, name: str, seconds: int, *, binaries: Binaries | None = None) -> list[str]:
        """Make a replica apply changes ``seconds`` late (0 removes the delay)."""
        binaries = binaries or self.binaries
        self.servers[name].sql(binaries, binaries.flavor.set_delay(seconds))
        return [f"{name} applies changes {seconds} s late" if seconds else f"{name} applies changes without delay"]

    def _write_env_file(self, passwords: dict[str, str]) -> None:
        self.env_file.write_text(render_env(self.urls(passwords)))
        self.env_file.chmod(0o600)

    def urls(self, passwords: dict[str, str] | None = None) -> dict[str, str]:
        password = (passwords or self.secrets())[APP_USER]

        def url(server: Server, database: str) -> str:
            return f"mysql://{APP_USER}:{password}@127.0.0.1:{server.port}/{database}"

        return {
            "PRIMARY_DATABASE_URL": url(self.primary, DATA_DATABASE),
            "REPLICA1_DATABASE_URL": url(self.servers["replica1"], DATA_DATABASE),
            "REPLICA2_DATABASE_URL": url(self.servers["replica2"], DATA_DATABASE),
            "AUTH_DATABASE_URL": url(self.primary, AUTH_DATABASE),
            # The replicas hold a copy of the auth database too: auth reads go
            # there while the primary is down.
            "AUTH_REPLICA1_DATABASE_URL": url(self.servers["replica1"], AUTH_DATABASE),
            "AUTH_REPLICA2_DATABASE_URL": url(self.servers["replica2"], AUTH_DATABASE),
        }

    # Down and status --------------------------------------------------------------

    def down(self) -> list[str]:
        # Replicas first, so they do not log a lost primary on the way out.
        stopped = [server for server in [*self.replicas, self.primary] if server.stop()]
        return [f"stopped {server.name}" for server in stopped]

    def status(self, binaries: Binaries | None = None) -> list[dict[str, str]]:
        binaries = binaries or self.binaries
        rows = []
        for server in self.servers.values():
            row = {"server": server.name, "port": str(server.port), "state": "stopped"}
            if server.pid() is not None:
                row.update(_describe_running(server, binaries))
            rows.append(row)
        return rows


def _describe_running(server: Server, binaries: Binaries) -> dict[str, str]:
    flavor = binaries.flavor
    try:
        variables = server.variables(
            binaries, "read_only", flavor.primary_gtid_variable, flavor.replica_gtid_variable, "port"
        )
        replication = server.replica_status(binaries)
    except TopologyError as error:
        return {"state": "unreachable", "error": str(error)}
    # The port the server reports, not the one it should have: they differ only
    # in a topology broken by an older version, and then the table must say so.
    row = {"state": "running", "port": variables["port"], "read_only": "ON" if variables["read_only"] == "1" else "OFF"}
    if variables["port"] != str(server.port):
        row["error"] = f"runs on port {variables['port']}, not {server.port}: run `make db-down`, then `make db-up`"
    if not replication.configured:
        row.update(role="primary", gtid=_one_line(variables[flavor.primary_gtid_variable]))
        return row
    row.update(
        role="replica",
        io=replication.io_running or "?",
        sql=replication.sql_running or "?",
        lag=replication.lag or "NULL",
        delay=replication.delay,
        gtid=_one_line(variables[flavor.replica_gtid_variable]),
    )
    error = replication.io_error or replication.sql_error
    if error:
        row["error"] = "; ".join(filter(None, [row.get("error"), error]))
    return row


def _one_line(gtid_set: str) -> str:
    # MySQL prints a GTID set of several servers over several lines.
    return gtid_set.replace("\\n", "").replace("\n", "")


def render_env(urls: dict[str, str]) -> str:
    lines = [
        "# Written by `make db-up`: the project's local MySQL topology (MariaDB or Oracle MySQL).",
        "# Use it with ENV_FILE=var/mysql/topology.env; `make db-up` rewrites it.",
        *(f"{name}={url}" for name, url in urls.items()),
        "DEMO_USER=demo",
        "DEMO_PASSWORD=demo",
    ]
    return "\n".join(lines) + "\n"


def format_status(rows: list[dict[str, str]]) -> str:
    columns = ["server", "port", "state", "role", "read_only", "io", "sql", "lag", "delay", "gtid"]
    table = [columns, *([row.get(column, "-") for column in columns] for row in rows)]
    widths = [max(len(line[index]) for line in table) for index in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]
    lines += [f"{row['server']}: {row['error']}" for row in rows if row.get("error")]
    return "\n".join(lines)
