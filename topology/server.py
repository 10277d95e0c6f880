"""One MySQL server process (mariadbd or mysqld) owned by the project: its files, start, stop and SQL."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from topology.binaries import Binaries
from topology.flavors import ReplicationState

READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60
# A Unix socket path must fit in sockaddr_un (108 bytes on Linux, 104 on macOS).
_MAX_SOCKET_PATH = 100


class TopologyError(RuntimeError):
    """Something the user must act on; the message says what."""


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port (as mariadbd does, with SO_REUSEADDR).

    Without SO_REUSEADDR, connections left in TIME_WAIT by a server that just
    died would make its own port look taken.
    """
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
class Server:
    name: str  # primary, replica1, replica2
    port: int
    server_id: int
    home: Path  # this server's folder: data/, its socket, pid file, log, client.cnf
    read_only: bool

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    @property
    def pid_file(self) -> Path:
        return self.home / "mariadbd.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "error.log"

    @property
    def tmpdir(self) -> Path:
        # Private: servers bootstrapped side by side collide in a shared /tmp.
        return self.home / "tmp"

    @property
    def client_config(self) -> Path:
        return self.home / "client.cnf"

    @property
    def socket_path(self) -> Path:
        path = self.home / "mariadbd.sock"
        if len(str(path)) <= _MAX_SOCKET_PATH:
            return path
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]  # noqa: S324 - a name, not a secret
        return Path(tempfile.gettempdir()) / f"routing-{digest}.sock"

    # Life cycle ---------------------------------------------------------------

    def is_initialized(self) -> bool:
        return (self.datadir / "mysql").is_dir()

    def initialize(self, binaries: Binaries) -> None:
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        command = [
            *binaries.flavor.initialize_command(binaries, self.datadir, self.tmpdir, self.log_file),
            *self._user_option(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise TopologyError(
                f"{self.name}: initializing {self.datadir} with {Path(command[0]).name} failed:\n"
                f"{result.stdout}{result.stderr}{self.log_tail()}"
            )
        self.write_client_config(password=None)

    def pid(self) -> int | None:
        """The server's process id while it runs, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, owned by someone else
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and str(self.datadir) not in cmdline.read_text(errors="replace"):
            return None  # a stale pid file; the number now belongs to another process
        return pid

    def start(self, binaries: Binaries) -> None:
        if not port_is_free(self.port):
            raise TopologyError(
                f"{self.name}: port {self.port} is already in use by another program. Free it, or choose another "
                f"port, e.g. DB_{self.name.upper()}_PORT={self.port + 10} make db-up"
            )
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        self._remove_stale_socket_lock()
        # The port may have moved since client.cnf was written.
        self.write_client_config(self.client_password())
        command = [
            binaries.server,
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--tmpdir={self.tmpdir}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--socket={self.socket_path}",
            f"--pid-file={self.pid_file}",
            f"--log-error={self.log_file}",
            f"--server-id={self.server_id}",
            f"--log-bin={binaries.flavor.log_bin}",
            "--skip-name-resolve",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            "--innodb-buffer-pool-size=64M",
            "--max-connections=500",
            *binaries.flavor.server_options(self.read_only),
            *self._user_option(),
        ]
        with open(self.home / "stdout.log", "ab") as output:
            # A session of its own: Ctrl-C on `make` must not take the server down.
            self._process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        process = getattr(self, "_process", None)
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise TopologyError(f"{self.name} exited at start-up. Its log says:\n{self.log_tail()}")
            if self.pid() is not None and self.socket_path.exists():
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                    probe.settimeout(1)
                    if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                        return
            time.sleep(0.05)
        raise TopologyError(f"{self.name} did not start within {timeout:.0f} s. Its log says:\n{self.log_tail()}")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Stop the server if it runs; True when it was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._reap()
            if self.pid() is None:
                return True
            time.sleep(0.05)
        raise TopologyError(f"{self.name} (pid {pid}) did not stop within {timeout:.0f} s; see {self.log_file}")

    def kill(self) -> None:
        """Kill the process without a clean shutdown, as a crash would."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            while self.pid() is not None:
                self._reap()
                time.sleep(0.02)

    def _reap(self) -> None:
        """Collect the exit of a server this process started, so no zombie keeps its pid alive.

        MySQL refuses to start while the pid in its socket's lock file exists,
        and a zombie does.
        """
        process = getattr(self, "_process", None)
        if process is not None:
            process.poll()

    def _remove_stale_socket_lock(self) -> None:
        # MySQL leaves <socket>.lock behind when it is killed; the pid in it may
        # belong to another process by now, which would keep the server from starting.
        lock = Path(f"{self.socket_path}.lock")
        try:
            pid = int(lock.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return
        cmdline = Path(f"/proc/{pid}/cmdline")
        if not pid or not cmdline.exists() or str(self.datadir) not in cmdline.read_text(errors="replace"):
            lock.unlink(missing_ok=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log yet)"

    # SQL through the command-line client ---------------------------------------

    def write_client_config(self, password: str | None) -> None:
        """An option file for ``mariadb --defaults-file=...``: root over this server's socket."""
        lines = ["[client]", "user=root", f"socket={self.socket_path}", f"port={self.port}"]
        if password:
            lines.append(f"password={password}")
        self.client_config.write_text("\n".join(lines) + "\n")
        self.client_config.chmod(0o600)

    def client_password(self) -> str | None:
        """Root's password in client.cnf; None until root is secured."""
        try:
            lines = self.client_config.read_text().splitlines()
        except FileNotFoundError:
            return None
        for line in lines:
            if line.startswith("password="):
                return line.removeprefix("password=")
        return None

    def sql(self, binaries: Binaries, statements: str, *, vertical: bool = False) -> str:
        command = [binaries.client, f"--defaults-file={self.client_config}", "--batch", "--skip-column-names"]
        if vertical:
            command = [binaries.client, f"--defaults-file={self.client_config}", "--vertical"]
        result = subprocess.run([*command, "-e", statements], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise TopologyError(f"{self.name}: SQL failed: {result.stderr.strip()}")
        return result.stdout

    def variables(self, binaries: Binaries, *names: str) -> dict[str, str]:
        output = self.sql(binaries, "SELECT " + ", ".join(f"@@{name}" for name in names))
        return dict(zip(names, output.rstrip("\n").split("\t"), strict=True))

    def running_port(self, binaries: Binaries) -> int:
        """The port the running server listens on, as it reports it (over its socket)."""
        return int(self.variables(binaries, "port")["port"])

    def replica_status(self, binaries: Binaries) -> ReplicationState:
        """SHOW REPLICA STATUS; an empty state when the server replicates from nowhere."""
        columns = {}
        for line in self.sql(binaries, binaries.flavor.status_query, vertical=True).splitlines():
            key, separator, value = line.partition(":")
            if separator and not key.startswith("*"):
                columns[key.strip()] = value.strip()
        return ReplicationState.from_columns(columns)

    def _user_option(self) -> list[str]:
        # Both servers refuse to run as root unless told to.
        return ["--user=root"] if os.geteuid() == 0 else []
