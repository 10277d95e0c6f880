"""The configurations under test, each served by gunicorn as `make serve` does."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import Session

PROJECT = Path(__file__).resolve().parent.parent
BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-1"


@dataclass(frozen=True)
class Config:
    name: str  # as reported
    routing: str  # the ROUTING setting
    description: str
    settings: tuple[tuple[str, str], ...] = ()  # environment variables of this configuration alone
    served: bool = True  # False: counted under callgrind only, not served under load
    engines: tuple[str, ...] | None = None  # the engines it runs on (bench.engines's names); None: every one

    def environment(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, "ROUTING": self.routing, **dict(self.settings)}

    def runs_on(self, engine: str) -> bool:
        return self.engines is None or engine in self.engines


# Like for like: django-multidb-router knows no auth database, so routing-same-dbs
# gives routing the same one (auth tables on the primary, read from replicas).
SAME_DATABASES = (("AUTH_ON_PRIMARY", "true"),)
CONFIGS = [
    Config("baseline", "off", "plain Django + DRF: no routing, every query on the primary"),
    Config("routing", "on", "this project's routers and middleware, auth on its own database (auth_db)"),
    Config(
        "routing-same-dbs",
        "on",
        "this project's routing on the peer's databases: primary and replicas, auth on the primary",
        SAME_DATABASES,
    ),
    Config("multidb", "multidb", "django-multidb-router: PinningReplicaRouter + PinningRouterMiddleware"),
    Config(
        "routing-conn0",
        "on",
        "routing as `routing`, with the old default DB_CONN_MAX_AGE=0: a new connection per request per alias",
        (("DB_CONN_MAX_AGE", "0"),),
    ),
    Config(
        "routing-pg-pool",
        "on",
        "routing as `routing`, with DB_POOL=true: a connection pool per alias (Django's, psycopg_pool) "
        "instead of persistent connections, checked as the pool hands each one out",
        (("DB_POOL", "true"),),
        engines=("postgresql",),  # DB_POOL is PostgreSQL's alone (the settings refuse it elsewhere)
    ),
    # Each of these leaves out one part of routing-same-dbs's work: the difference is that part's cost.
    Config(
        "same-dbs-no-headers",
        "on",
        "routing-same-dbs with ROUTING_REPORT_HEADERS=none",
        (*SAME_DATABASES, ("ROUTING_REPORT_HEADERS", "none")),
        served=False,
    ),
    Config(
        "same-dbs-no-metrics",
        "on",
        "routing-same-dbs with ROUTING_METRICS=false",
        (*SAME_DATABASES, ("ROUTING_METRICS", "false")),
        served=False,
    ),
    Config(
        "same-dbs-no-tokens",
        "on",
        "routing-same-dbs with ROUTING_READ_YOUR_WRITES=off (no causal tokens)",
        (*SAME_DATABASES, ("ROUTING_READ_YOUR_WRITES", "off")),
        served=False,
    ),
]
SERVED = [config for config in CONFIGS if config.served]


def served_on(engine: str) -> list[Config]:
    """The configurations served under load on ``engine``, in CONFIGS's order."""
    return [config for config in SERVED if config.runs_on(engine)]


@dataclass
class Server:
    config: Config
    port: int
    environment: dict[str, str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "project.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            "--worker-class=gthread",
            "--workers=2",
            "--threads=4",
            "--no-control-socket",
            "--log-level=warning",
        ]
        log = open(self.log_path, "w")  # noqa: SIM115 - the server keeps writing to it
        self.process = subprocess.Popen(
            command, cwd=PROJECT, env=self.environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def log_path(self) -> Path:
        return Path(self.environment["BENCH_LOG_DIR"]) / f"gunicorn-{self.config.name}.log"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.config.name} server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url("/api/articles/?page_size=1"), timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.config.name} server did not answer within {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)

    def headers_of_a_read(self) -> dict[str, str]:
        with urllib.request.urlopen(self.url("/api/articles/?page_size=1"), timeout=10) as response:
            return dict(response.headers)

    def log_in(self) -> Session:
        """Session authentication, as a browser client would have it."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(self.url("/api/auth/login/"), timeout=10).read()
        csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
        form = urllib.parse.urlencode(
            {"username": BENCH_USER, "password": BENCH_PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/api/"}
        ).encode()
        request = urllib.request.Request(self.url("/api/auth/login/"), data=form, headers={"Referer": self.url("/")})
        opener.open(request, timeout=30).read()
        cookies = {cookie.name: cookie.value for cookie in jar}
        if "sessionid" not in cookies:
            raise RuntimeError(f"{self.config.name}: could not log in as {BENCH_USER}")
        # Logging in rotates the CSRF token: use the new one.
        token = cookies["csrftoken"]
        return Session(cookie=f"sessionid={cookies['sessionid']}; csrftoken={token}", csrf_token=token)
