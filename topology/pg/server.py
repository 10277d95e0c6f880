"""One PostgreSQL server owned by the project: its files, its life cycle and admin SQL.

A server's folder (``<home>/<name>/``) holds ``data/`` (the data directory),
``postgres.log`` and, when the path is short enough, the server's Unix socket.
The folder and ``data/`` belong to the account that runs the servers (mode 700).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from topology.pg import conf
from topology.pg.errors import ClusterError
from topology.pg.programs import Programs

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60

# postmaster.pid, line by line: pid, data directory, start time, port, socket folder, ...
_PID_LINE, _PORT_LINE = 0, 3


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port (with SO_REUSEADDR, as postgres binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


@dataclass
class PgServer:
    name: str  # primary, replica1, replica2: the server's identity; its role can change at a failover
    port: int
    home: Path

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        return conf.socket_folder(self.home)

    @property
    def pid_file(self) -> Path:
        return self.datadir / "postmaster.pid"

    # What is on disk ------------------------------------------------------------

    def is_initialized(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def is_standby(self) -> bool:
        """Whether its data starts as a standby (standby.signal), rather than as a primary."""
        return (self.datadir / "standby.signal").exists()

    def _pid_file_lines(self) -> list[str]:
        try:
            return self.pid_file.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return []

    def pid(self) -> int | None:
        """The postmaster's process id while it runs, else None."""
        lines = self._pid_file_lines()
        try:
            pid = int(lines[_PID_LINE])
        except (IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, owned by another account
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and str(self.datadir) not in cmdline.read_text(errors="replace"):
            return None  # a stale pid file; the number now belongs to another process
        return pid

    def running_port(self) -> int | None:
        """The port the running server listens on, as its postmaster.pid says."""
        lines = self._pid_file_lines()
        try:
            return int(lines[_PORT_LINE])
        except (IndexError, ValueError):
            return None

    # Making the data ---------------------------------------------------------------

    def prepare(self, programs: Programs) -> None:
        programs.account.make_dir(self.home)
        if self.socket_dir != self.home:
            programs.account.make_dir(self.socket_dir)
        if not programs.account.can_write(self.home):
            raise ClusterError(
                f"{self.name}: the `{programs.account.name}` account that runs PostgreSQL cannot reach {self.home}: "
                "a parent folder is closed to other users. Choose a folder it can reach (--home), "
                "or let it through (chmod o+x on that parent)."
            )

    def initdb(self, programs: Programs, superuser_password: str) -> None:
        """A new primary: UTF8, the superuser's password, passwords for everyone."""
        self.prepare(programs)
        password_file = self.home / "superuser-password"
        programs.account.write(password_file, superuser_password + "\n")
        try:
            result = programs.run(
                "initdb",
                [
                    f"--pgdata={self.datadir}",
                    f"--username={conf.SUPERUSER}",
                    f"--pwfile={password_file}",
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    # Unicode upper()/lower() (Django's iexact and icontains), code point order sorting.
                    f"--locale={_utf8_locale()}",
                    # Seconds saved on every fresh topology; a crash right after
                    # `pg-up` would only cost re-running it.
                    "--no-sync",
                    "--no-instructions",
                ],
                cwd=self.home,
            )
        finally:
            password_file.unlink(missing_ok=True)
        if result.returncode != 0:
            raise ClusterError(f"{self.name}: initdb failed:\n{result.stdout}{result.stderr}")
        programs.account.write(self.datadir / "pg_hba.conf", conf.hba_conf())
        with open(self.datadir / "postgresql.conf", "a") as config:
            config.write(
                f"\n# The cluster's settings for this server (port, socket, replication).\n{conf.INCLUDE_LINE}\n"
            )

    def base_backup(self, programs: Programs, source_port: int, replication_password: str) -> None:
        """Make this server a standby of the server on ``source_port``, from a fresh copy of its data.

        Whatever data it had is replaced: it is used for new standbys and for an
        old primary that a failover left behind (its timeline diverged).
        """
        self.prepare(programs)
        if self.datadir.exists():
            shutil.rmtree(self.datadir)
        result = programs.run(
            "pg_basebackup",
            [
                f"--pgdata={self.datadir}",
                f"--dbname=host=127.0.0.1 port={source_port} user={conf.REPLICATION_USER}",
                "--wal-method=stream",
                f"--slot={self.name}",
                # An immediate checkpoint, not a spread one (which waits minutes).
                "--checkpoint=fast",
                "--no-sync",
                "--no-password",
            ],
            password=replication_password,
            cwd=self.home,
        )
        if result.returncode != 0:
            raise ClusterError(f"{self.name}: pg_basebackup from port {source_port} failed:\n{result.stderr.strip()}")
        # The copy holds the source's own postgresql.auto.conf (a delay, its
        # former primary_conninfo): this standby starts from settings of its own.
        conninfo = conf.primary_conninfo(source_port, replication_password, self.name)
        programs.account.write(self.datadir / "postgresql.auto.conf", conf.standby_auto_conf(conninfo, self.name))
        programs.account.write(self.datadir / "standby.signal", "")

    # Running ------------------------------------------------------------------------

    def check_port_is_free(self, port_variable: str) -> None:
        if not port_is_free(self.port):
            raise ClusterError(
                f"{self.name}: port {self.port} is already in use by another program. Free it, or choose another "
                f"port, e.g. {port_variable}={self.port + 10} make pg-up"
            )

    def start(self, programs: Programs, port_variable: str) -> None:
        """Start the server and wait until it accepts connections."""
        self.check_port_is_free(port_variable)
        self.prepare(programs)
        programs.account.write(self.datadir / "topology.conf", conf.server_conf(self.name, self.port, self.socket_dir))
        result = programs.run(
            "pg_ctl",
            [
                "start",
                f"--pgdata={self.datadir}",
                f"--log={self.log_file}",
                "--wait",
                f"--timeout={START_TIMEOUT_SECONDS}",
                "--silent",
            ],
            cwd=self.home,
        )
        if result.returncode != 0 or self.pid() is None:
            raise ClusterError(f"{self.name} did not start. Its log says:\n{self.log_tail()}")

    def promote(self, programs: Programs) -> None:
        result = programs.run(
            "pg_ctl",
            ["promote", f"--pgdata={self.datadir}", "--wait", f"--timeout={START_TIMEOUT_SECONDS}", "--silent"],
            cwd=self.home,
        )
        if result.returncode != 0:
            raise ClusterError(f"{self.name}: pg_ctl promote failed: {result.stderr.strip()}. See {self.log_file}")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Stop the server if it runs (a fast shutdown: sessions end, WAL is flushed); True when it ran."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGINT)
        self._wait_until_gone(pid, timeout)
        return True

    def kill(self) -> None:
        """Stop without a clean shutdown, as a crash would (the next start runs crash recovery).

        SIGQUIT, PostgreSQL's immediate shutdown: every process exits at once,
        without a checkpoint. A SIGKILL of the postmaster alone would leave its
        backends holding the shared memory, and the next start would refuse.
        """
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGQUIT)
            self._wait_until_gone(pid, STOP_TIMEOUT_SECONDS)

    def _wait_until_gone(self, pid: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pid() is not None:
            if time.monotonic() >= deadline:
                raise ClusterError(f"{self.name} (pid {pid}) did not stop within {timeout:.0f} s; see {self.log_file}")
            time.sleep(0.02)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log yet)"

    # SQL ----------------------------------------------------------------------------

    def sql(self, programs: Programs, statements: str, *, password: str, database: str = "postgres") -> str:
        """Run SQL (psql meta-commands allowed, e.g. \\gexec) as the superuser over the server's socket.

        Rows come back one a line, columns separated by tabs.
        """
        result = programs.run(
            "psql",
            [
                "--no-psqlrc",
                "--quiet",
                "--no-align",
                "--tuples-only",
                "--field-separator=\t",
                "--set=ON_ERROR_STOP=1",
                f"--host={self.socket_dir}",
                f"--port={self.port}",
                f"--username={conf.SUPERUSER}",
                f"--dbname={database}",
                "--no-password",
                "--file=-",
            ],
            password=password,
            stdin=statements,
            # The socket folder is the server account's (mode 700); root gets in anyway,
            # so psql runs as the caller, as the state file and passwords are the caller's.
            as_server_account=False,
            timeout=60,
        )
        if result.returncode != 0:
            raise ClusterError(f"{self.name}: SQL failed: {result.stderr.strip()}")
        return result.stdout

    def in_recovery(self, programs: Programs, password: str) -> bool:
        return self.sql(programs, "SELECT pg_is_in_recovery();", password=password).strip() == "t"


def _utf8_locale() -> str:
    # C.UTF-8 exists on glibc and musl systems; macOS has no C.UTF-8 for initdb.
    return "en_US.UTF-8" if os.uname().sysname == "Darwin" else "C.UTF-8"
