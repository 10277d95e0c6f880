"""A PostgreSQL primary and two streaming hot standbys, owned by the project.

Everything lives under one folder (``var/postgres/`` for ``make pg-up``; a
temporary folder for a test run): each server's folder (data, log, socket),
``topology.json`` (ports, generated passwords, which server is the primary:
mode 600) and ``topology.env`` (the database URLs the service reads through
``ENV_FILE``).

The three servers keep their names (primary, replica1, replica2) for life; a
failover changes their roles, and topology.json records which one is the
primary. Each standby streams from the primary through a physical replication
slot named after it, so the primary keeps the WAL a stopped standby still needs.
"""

from __future__ import annotations

import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from topology.pg import conf
from topology.pg.account import server_account
from topology.pg.binaries import PgBinaries, find_binaries
from topology.pg.errors import ClusterError
from topology.pg.ports import PORT_VARIABLES, SERVER_NAMES
from topology.pg.programs import Programs
from topology.pg.report import FACTS_SQL, Facts, describe_running, render_env
from topology.pg.server import PgServer
from topology.pg.urls import APP_USER, AUTH_DATABASE, DATA_DATABASE, database_urls

DELAYED_STANDBY = "replica2"
# Which standby a failover promotes when none is named: replica1, as the issue
# says; after a failover to it, the old primary (once it is a standby again).
FAILOVER_ORDER = ("replica1", "primary", "replica2")
# How long `up` and `failover` wait for a standby to stream from the primary.
STREAMING_TIMEOUT_SECONDS = 15
PROMOTE_TIMEOUT_SECONDS = 30
SETTING_TIMEOUT_SECONDS = 5


def _password() -> str:
    return secrets.token_hex(16)  # URL- and conninfo-safe: it goes into both unquoted


def read_state(home: Path) -> dict[str, Any]:
    """topology.json of the cluster in ``home``; empty when none was made there yet."""
    state_file = home / "topology.json"
    if not state_file.exists():
        return {}
    return json.loads(state_file.read_text())


def saved_ports(home: Path) -> dict[str, int] | None:
    """The ports recorded in ``home/topology.json``; None when no cluster was made there yet."""
    ports = read_state(home).get("ports")
    if ports is None:
        return None
    return {name: int(ports[name]) for name in SERVER_NAMES}


@dataclass
class Cluster:
    home: Path
    ports: dict[str, int]
    _programs: Programs | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.home = self.home.resolve()
        self.servers = {
            name: PgServer(name=name, port=self.ports[name], home=self.home / name) for name in SERVER_NAMES
        }

    @classmethod
    def load(cls, home: Path) -> Cluster:
        """The cluster that `up` left in ``home``, with the ports it used."""
        ports = saved_ports(home)
        if ports is None:
            raise ClusterError(f"No PostgreSQL cluster in {home}: `make pg-up` makes one.")
        return cls(home, ports)

    @property
    def state_file(self) -> Path:
        return self.home / "topology.json"

    @property
    def env_file(self) -> Path:
        return self.home / "topology.env"

    # State --------------------------------------------------------------------------

    def _save_state(self, **changes: Any) -> None:
        state = {**read_state(self.home), **changes, "ports": self.ports}
        self.home.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")
        self.state_file.chmod(0o600)

    def secrets(self) -> dict[str, str]:
        """Passwords generated on the first start and kept in topology.json (mode 600)."""
        passwords = read_state(self.home).get("passwords")
        if passwords is None:
            passwords = {conf.SUPERUSER: _password(), conf.REPLICATION_USER: _password(), APP_USER: _password()}
            self._save_state(passwords=passwords)
        return passwords

    @property
    def primary_name(self) -> str:
        """Which server is the primary: ``primary`` until a failover says otherwise."""
        return read_state(self.home).get("primary", "primary")

    @property
    def primary(self) -> PgServer:
        return self.servers[self.primary_name]

    @property
    def standbys(self) -> list[PgServer]:
        return [server for name, server in self.servers.items() if name != self.primary_name]

    def programs(self, binaries: PgBinaries | None = None) -> Programs:
        if self._programs is None or (binaries is not None and binaries != self._programs.binaries):
            self._programs = Programs(binaries or find_binaries(), server_account())
        return self._programs

    # SQL ----------------------------------------------------------------------------

    def admin_sql(self, name: str, statements: str, database: str = "postgres") -> str:
        """Run SQL as the superuser on one server (for tests and maintenance); rows one a line, tab-separated."""
        return self.servers[name].sql(
            self.programs(), statements, password=self.secrets()[conf.SUPERUSER], database=database
        )

    def _facts(self, server: PgServer) -> Facts:
        return Facts.parse(self.admin_sql(server.name, FACTS_SQL))

    # Up -----------------------------------------------------------------------------

    def up(self, *, replica_delay: int | None = None, binaries: PgBinaries | None = None) -> list[str]:
        """Start what is down, build what is missing, point every standby at the primary; return what was done."""
        programs = self.programs(binaries)
        passwords = self.secrets()
        if replica_delay is not None and self.primary_name == DELAYED_STANDBY:
            raise ClusterError(
                f"{DELAYED_STANDBY} is the primary since a failover; REPLICA_DELAY applies to a standby."
            )
        self._check_servers()
        # Recorded before any server starts: a server only ever runs on the
        # ports in topology.json, which every later command reads.
        self._save_state()
        self._open_home()

        done = self._bring_up_primary(programs, passwords)
        self._create_roles_and_databases(passwords)
        self._ensure_slots([standby.name for standby in self.standbys])
        done += self._build_standbys(programs, passwords)
        stopped = [standby for standby in self.standbys if standby.pid() is None]
        with ThreadPoolExecutor(max_workers=len(SERVER_NAMES)) as pool:
            list(pool.map(lambda standby: standby.start(programs, PORT_VARIABLES[standby.name]), stopped))
        done += [f"started {standby.name} on port {standby.port}" for standby in stopped]
        for standby in self.standbys:
            done += self._follow_primary(standby, passwords)
        if replica_delay is not None:
            done += self.set_delay(DELAYED_STANDBY, replica_delay)
        self._wait_until_streaming(self.standbys)
        self._write_env_file()
        return done

    def _check_servers(self) -> None:
        """Refuse, before anything starts, what `up` cannot fix without losing data or surprising the user."""
        for server in self.servers.values():
            if server.pid() is None:
                server.check_port_is_free(PORT_VARIABLES[server.name])
                continue
            running_port = server.running_port()
            if running_port is not None and running_port != server.port:
                raise ClusterError(
                    f"{server.name} is running on port {running_port}, not {server.port}. "
                    "Run `make pg-down` first to change ports."
                )
            if server.name != self.primary_name and server.is_initialized() and not server.is_standby():
                raise ClusterError(
                    f"{server.name} runs as a primary, but {self.primary_name} is the primary since a failover: "
                    f"two primaries. Stop {server.name} (`make pg-down`); `make pg-up` then rebuilds it as a "
                    f"standby of {self.primary_name}."
                )

    def _open_home(self) -> None:
        # Run as root, the servers run as another account, which must get
        # through the cluster's folder to its own (a temporary folder is 700).
        self.home.mkdir(parents=True, exist_ok=True)
        if self.programs().account.switches:
            mode = self.home.stat().st_mode
            if not mode & 0o001:
                self.home.chmod(mode | 0o001)

    def _bring_up_primary(self, programs: Programs, passwords: dict[str, str]) -> list[str]:
        primary = self.primary
        done = []
        if not primary.is_initialized():
            if primary.name != "primary":
                raise ClusterError(
                    f"{primary.name} is the primary since a failover, but has no data in {primary.datadir}. "
                    f"To start over: `make pg-down`, remove {self.home}, then `make pg-up`."
                )
            primary.initdb(programs, passwords[conf.SUPERUSER])
            done.append(f"initialized {primary.name}")
        if primary.pid() is None:
            primary.start(programs, PORT_VARIABLES[primary.name])
            done.append(f"started {primary.name} on port {primary.port}")
        if primary.is_standby():
            # A failover recorded the new primary, then stopped before the promotion finished.
            self._promote(primary)
            done.append(f"promoted {primary.name}, finishing the failover")
        return done

    def _create_roles_and_databases(self, passwords: dict[str, str]) -> None:
        # On the primary; the standbys receive roles and databases by replication.
        # Idempotent: it runs on every `up`, so a cluster made by an older version
        # gets new settings. The application role owns its databases but is no
        # superuser (a standby refuses every write anyway, a superuser's too);
        # CREATEDB lets Django's test runner create test_<name> databases;
        # pg_monitor lets it read replication state (pg_stat_wal_receiver).
        app, repl = passwords[APP_USER], passwords[conf.REPLICATION_USER]
        lines = ["SET client_min_messages = warning;"]
        for role, attributes, password in [
            (APP_USER, "LOGIN NOSUPERUSER NOCREATEROLE CREATEDB NOREPLICATION NOBYPASSRLS", app),
            (conf.REPLICATION_USER, "LOGIN REPLICATION NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS", repl),
        ]:
            lines += [
                f"SELECT 'CREATE ROLE {role}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}')",
                "\\gexec",
                f"ALTER ROLE {role} WITH {attributes} PASSWORD {conf.quote(password)};",
            ]
        lines.append(f"GRANT pg_monitor TO {APP_USER};")
        for database in (DATA_DATABASE, AUTH_DATABASE):
            create = f"CREATE DATABASE {database} OWNER {APP_USER} ENCODING ''UTF8'' TEMPLATE template0"
            lines += [
                f"SELECT '{create}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database}')",
                "\\gexec",
                f"ALTER DATABASE {database} OWNER TO {APP_USER};",
            ]
        self.admin_sql(self.primary_name, "\n".join(lines) + "\n")

    def _ensure_slots(self, names: list[str]) -> None:
        """A physical slot on the primary for each of these standbys; none named after the primary itself."""
        wanted = ", ".join(conf.quote(name) for name in names)
        self.admin_sql(
            self.primary_name,
            f"SELECT pg_create_physical_replication_slot(name, true) FROM unnest(ARRAY[{wanted}]::text[]) AS name "
            "WHERE name NOT IN (SELECT slot_name FROM pg_replication_slots);\n"
            # A slot left for a server that is now this primary would keep WAL forever.
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            f"WHERE slot_name = {conf.quote(self.primary_name)} AND NOT active;\n",
        )

    def _build_standbys(self, programs: Programs, passwords: dict[str, str]) -> list[str]:
        primary = self.primary
        fresh = [standby for standby in self.standbys if not standby.is_initialized()]
        # A stopped server that is not a standby, and not the primary: the old
        # primary a failover left behind. Its timeline diverged at the
        # promotion, so it cannot simply follow; a fresh copy makes it a standby.
        diverged = [standby for standby in self.standbys if standby.is_initialized() and not standby.is_standby()]
        with ThreadPoolExecutor(max_workers=len(SERVER_NAMES)) as pool:
            list(
                pool.map(
                    lambda standby: standby.base_backup(programs, primary.port, passwords[conf.REPLICATION_USER]),
                    fresh + diverged,
                )
            )
        done = [f"built {standby.name} as a standby of {primary.name} (port {primary.port})" for standby in fresh]
        done += [
            f"rebuilt {standby.name} as a standby of {primary.name}: a fresh copy replaced its data, "
            "which had diverged at the failover"
            for standby in diverged
        ]
        return done

    def _follow_primary(self, standby: PgServer, passwords: dict[str, str]) -> list[str]:
        """Point a running standby at the primary, if it points elsewhere (a failover, a primary that moved port).

        A reload is enough (PostgreSQL 13+): the WAL receiver reconnects with the
        new primary_conninfo, and recovery_target_timeline=latest (the default)
        follows the new primary's timeline.
        """
        primary = self.primary
        wanted = conf.primary_conninfo(primary.port, passwords[conf.REPLICATION_USER], standby.name)
        current = self.admin_sql(
            standby.name, "SELECT current_setting('primary_conninfo'), current_setting('primary_slot_name');"
        )
        if current.rstrip("\n").split("\t") == [wanted, standby.name]:
            return []
        self.admin_sql(
            standby.name,
            f"ALTER SYSTEM SET primary_conninfo = {conf.quote(wanted)};\n"
            f"ALTER SYSTEM SET primary_slot_name = {conf.quote(standby.name)};\n"
            "SELECT pg_reload_conf();\n",
        )
        return [f"{standby.name} follows {primary.name} (port {primary.port})"]

    def _promote(self, server: PgServer) -> None:
        server.promote(self.programs())
        deadline = time.monotonic() + PROMOTE_TIMEOUT_SECONDS
        while server.in_recovery(self.programs(), self.secrets()[conf.SUPERUSER]):
            if time.monotonic() >= deadline:
                raise ClusterError(f"{server.name} is still in recovery {PROMOTE_TIMEOUT_SECONDS} s after promote")
            time.sleep(0.05)

    def _wait_until_streaming(self, standbys: list[PgServer]) -> None:
        """Fail loudly rather than leave a standby that does not stream from the primary."""
        primary = self.primary
        for standby in standbys:
            if standby.pid() is None:
                continue
            deadline = time.monotonic() + STREAMING_TIMEOUT_SECONDS
            while True:
                facts = self._facts(standby)
                if facts.receiver == "streaming" and facts.sender_port == primary.port:
                    break
                if time.monotonic() >= deadline:
                    raise ClusterError(
                        f"{standby.name} does not stream from {primary.name} (port {primary.port}) after "
                        f"{STREAMING_TIMEOUT_SECONDS} s (WAL receiver: {facts.receiver or 'none'}, from port "
                        f"{facts.sender_port or '-'}). Its log says:\n{standby.log_tail()}"
                    )
                time.sleep(0.05)

    # Delay --------------------------------------------------------------------------

    def set_delay(self, name: str, seconds: int) -> list[str]:
        """Make a standby apply commits ``seconds`` late (0 removes the delay); no restart needed."""
        if name == self.primary_name:
            raise ClusterError(f"{name} is the primary since a failover; a replication delay applies to a standby.")
        if self.servers[name].pid() is None:
            raise ClusterError(f"{name} is not running: `make pg-up` starts it.")
        seconds = int(seconds)
        if seconds < 0:
            raise ClusterError(f"A delay of {seconds} s is not possible; 0 removes the delay.")
        change = (
            f"ALTER SYSTEM SET recovery_min_apply_delay = '{seconds}s';"
            if seconds
            else "ALTER SYSTEM RESET recovery_min_apply_delay;"
        )
        self.admin_sql(name, f"{change}\nSELECT pg_reload_conf();\n")
        # The reload is a signal: wait until the server applies it, so a caller
        # that writes right after this sees the delay it asked for.
        deadline = time.monotonic() + SETTING_TIMEOUT_SECONDS
        while self._facts(self.servers[name]).delay_ms != seconds * 1000:
            if time.monotonic() >= deadline:
                raise ClusterError(f"{name} did not take recovery_min_apply_delay = {seconds}s after a reload")
            time.sleep(0.02)
        return [f"{name} applies commits {seconds} s late" if seconds else f"{name} applies commits without delay"]

    # Failover -----------------------------------------------------------------------

    def failover(self, target: str | None = None) -> list[str]:
        """Stop the primary, promote a standby (replica1 by default), make the other standbys follow it.

        The old primary stays stopped: its data may hold commits no standby got,
        so it cannot follow as it is. The next `up` rebuilds it as a standby.
        """
        old = self.servers[self.primary_name]
        new = self.servers[target or self._failover_target()]
        if new is old:
            raise ClusterError(f"{new.name} is the primary already.")
        if new.pid() is None or not new.is_standby():
            raise ClusterError(f"{new.name} is not a running standby, so it cannot take over: `make pg-up` first.")
        followers = [standby for standby in self.standbys if standby is not new and standby.pid() is not None]

        # A fast shutdown sends the standbys all the WAL the primary wrote before it exits.
        done = [f"stopped {old.name} (port {old.port})" if old.stop() else f"{old.name} was not running"]
        # Recorded before the promotion: a failover interrupted now is finished by `up`.
        self._save_state(primary=new.name)
        self._promote(new)
        done.append(f"promoted {new.name}: the primary is on port {new.port} now")
        self._ensure_slots([follower.name for follower in followers])
        passwords = self.secrets()
        for follower in followers:
            done += self._follow_primary(follower, passwords)
        self._wait_until_streaming(followers)
        self._write_env_file()
        done.append(f"{old.name} stays stopped; `make pg-up` rebuilds it as a standby of {new.name}")
        return done

    def _failover_target(self) -> str:
        for name in FAILOVER_ORDER:
            server = self.servers[name]
            if name != self.primary_name and server.pid() is not None and server.is_standby():
                return name
        raise ClusterError("No running standby to promote: `make pg-up` starts them.")

    # Down, status, env ----------------------------------------------------------------

    def down(self) -> list[str]:
        # Standbys first: they keep their slots' place, and do not log a lost primary on the way out.
        stopped = [server for server in [*self.standbys, self.primary] if server.stop()]
        return [f"stopped {server.name}" for server in stopped]

    def status(self) -> list[dict[str, str]]:
        facts: dict[str, Facts] = {}
        errors: dict[str, str] = {}
        # The primary first: a standby that replays past the position read
        # from it then lags 0 bytes, never a negative number.
        for server in [self.primary, *self.standbys]:
            if server.pid() is None:
                continue
            try:
                facts[server.name] = self._facts(server)
            except ClusterError as error:
                errors[server.name] = str(error)
        primary_facts = facts.get(self.primary_name)
        primary_lsn = primary_facts.lsn if primary_facts and not primary_facts.in_recovery else None
        rows = []
        for name, server in self.servers.items():
            row = {"server": name, "port": str(server.port), "state": "stopped"}
            if name in errors:
                row.update(state="unreachable", error=errors[name])
            elif name in facts:
                row.update(
                    describe_running(
                        name,
                        facts[name],
                        primary=self.primary_name,
                        primary_port=self.primary.port,
                        primary_lsn=primary_lsn,
                        log_file=str(server.log_file),
                    )
                )
            elif name != self.primary_name and server.is_initialized() and not server.is_standby():
                row["note"] = (
                    f"was the primary until the failover to {self.primary_name}; `make pg-up` rebuilds it as a standby"
                )
            rows.append(row)
        return rows

    def urls(self) -> dict[str, str]:
        return database_urls(self.ports, self.primary_name, self.secrets()[APP_USER])

    def _write_env_file(self) -> None:
        notes = []
        if self.primary_name != "primary":
            notes.append(
                f"Since the failover to {self.primary_name}: PRIMARY_* and AUTH_DATABASE_URL name the server "
                f"{self.primary_name}, {self.primary_name.upper()}_* the server primary."
            )
        self.env_file.write_text(render_env(self.urls(), notes))
        self.env_file.chmod(0o600)
