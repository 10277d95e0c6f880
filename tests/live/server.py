"""The service as a deployment runs it: a real server in its own process.

Each server gets a fresh data folder, is migrated and given the demo user
first, and serves with DEBUG off on a free port of 127.0.0.1.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEMO_USER = "demo"
DEMO_PASSWORD = "live-demo-password-1"

# How each server is started; {port} is filled in.
COMMANDS = {
    "gunicorn-gthread": [
        str(BIN / "gunicorn"), "project.wsgi", "--bind", "127.0.0.1:{port}", "--config", "python:project.gunicorn_conf",
        "--worker-class", "gthread", "--workers", "2", "--threads", "8", "--no-control-socket",
    ],
    "uvicorn-asgi": [
        str(BIN / "uvicorn"), "project.asgi:application", "--host", "127.0.0.1", "--port", "{port}",
        "--workers", "2", "--no-access-log",
    ],
}  # fmt: skip


@dataclass(frozen=True)
class LiveServer:
    host: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=30)


def demo_authorization() -> str:
    return "Basic " + base64.b64encode(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def embedded_environment(var_dir: Path) -> dict[str, str]:
    """This process's environment, but on fresh SQLite files in ``var_dir``, whatever it pointed at."""
    env = {key: value for key, value in os.environ.items() if not key.endswith("DATABASE_URL")}
    env.update(ENV_FILE=str(var_dir / "no.env"), VAR_DIR=str(var_dir))
    return env


def server_environment(var_dir: Path, settings_module: str, **extra: str) -> dict[str, str]:
    env = embedded_environment(var_dir)
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DEBUG="false",
        SECRET_KEY="live-test-" + "k" * 50,
        DEMO_USER=DEMO_USER,
        DEMO_PASSWORD=DEMO_PASSWORD,
        # Limits the tests do not reach, unless a test sets its own: the fuzzer sends wrong
        # credentials on purpose, and the limits must not lock its next run out.
        WRITE_THROTTLE_RATE="100000/min",
        LOGIN_FAILURE_LIMIT="100000",
    )
    env.update(extra)
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


@contextmanager
def live_server(
    kind: str, var_dir: Path, settings_module: str = "project.settings", name: str | None = None, **extra: str
):
    """Start ``kind`` (a key of COMMANDS) on a prepared data folder; stop it on the way out.

    ``name`` tells apart the logs of several servers on one data folder.
    """
    env = server_environment(var_dir, settings_module, **extra)
    _manage(env, "migrate", "--no-input")
    _manage(env, "ensure_demo_user")
    _manage(env, "collectstatic", "--no-input")
    port = free_port()
    log = var_dir / f"{name or kind}.log"
    command = [part.format(port=port) for part in COMMANDS[kind]]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = LiveServer("127.0.0.1", port, log)
    try:
        _wait_until_serving(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(server: LiveServer, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log.read_text()}")
        connection = server.connection()
        try:
            connection.request("GET", "/api/health/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout} s:\n{server.log.read_text()}")
