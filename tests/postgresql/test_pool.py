"""DB_POOL=true on the suite's cluster: the service under gunicorn, its connections from Django's pool."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.conf import settings

from tests.fleet import REPLICAS, as_demo, call, database_urls
from tests.live.server import PROJECT, live_server, server_environment
from tests.replication import topology

# Probes nearly every request: routing's health probes open connections of
# their own, never the pool's (Django's get_new_connection() would take one
# from it, and a probe's close() would lose it: 8 probes would empty a pool).
POOLED = {"DB_POOL": "true", "ROUTING_HEALTH_INTERVAL": "0.01", **database_urls()}
# The live server's databases (the in-process tests use the test_ ones).
SERVED = "('articles', 'articles_auth')"


@pytest.fixture(scope="module")
def pooled_server(tmp_path_factory):
    with live_server("gunicorn-gthread", tmp_path_factory.mktemp("pool") / "var", name="pooled", **POOLED) as server:
        yield server


def on_the_primary(sql: str) -> str:
    port = str(settings.DATABASES["primary"]["PORT"])
    server = next(name for name, number in topology().ports.items() if str(number) == port)
    return topology().admin_sql(server, sql)


def app_backends(database: str) -> set[int]:
    """The pids of the service's connections to ``database`` on the primary's server."""
    sql = f"SELECT pid FROM pg_stat_activity WHERE usename = 'app' AND datname = '{database}'"  # noqa: S608
    return {int(row) for row in on_the_primary(sql).split()}


# The service's own settings, in a process of their own: 10 requests' worth of
# connecting and closing (CONN_MAX_AGE=0) on the primary alias. (Django itself
# hands a pooled connection back through its _pool.)
CONNECT_AND_CLOSE = """
import json
from django.db import connections
wrapper = connections["primary"]
pids, from_pool = [], []
for _ in range(10):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pids.append(cursor.fetchone()[0])
    from_pool.append(wrapper.connection._pool is wrapper.pool)
    wrapper.close()
print(json.dumps({"pool": type(wrapper.pool).__name__, "from_pool": all(from_pool), "pids": pids}))
"""


def test_closed_connections_go_back_to_the_pool_not_away(tmp_path):
    environment = server_environment(tmp_path, "project.settings", **POOLED)
    shell = [sys.executable, "manage.py", "shell", "--no-imports", "-c", CONNECT_AND_CLOSE]
    result = subprocess.run(shell, cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert (seen["pool"], seen["from_pool"]) == ("ConnectionPool", True)
    # Ten closes, and fewer than ten backends: the same ones came back (at most max_size, 8, exist).
    assert len(set(seen["pids"])) < len(seen["pids"])


def test_reads_and_writes_are_served_from_the_pool(pooled_server):
    written = call(pooled_server, "POST", "/api/articles/", {"title": "Pooled", "body": "."}, as_demo())
    assert (written.status, written.headers["X-DB-Alias"]) == (201, "primary"), written.body
    token = written.headers["X-DB-Causal-Token"]
    read = call(pooled_server, "GET", f"/api/articles/{written.body['id']}/", headers={"X-DB-Causal-Token": token})
    assert read.status == 200, read.body
    assert (read.headers["X-DB-Alias"] in REPLICAS, read.body["title"]) == (True, "Pooled")
    # Far more health probes than a pool holds connections, on both workers: were
    # one lost per probe, the replicas' pools would run dry and reads fall back.
    for _ in range(60):
        listed = call(pooled_server, "GET", "/api/articles/")
        assert (listed.status, listed.headers["X-DB-Alias"] in REPLICAS) == (200, True), listed.body
    # The requests are over, their connections closed (CONN_MAX_AGE=0), yet the pool keeps them open.
    assert app_backends("articles")
    assert app_backends("articles_auth")


def test_a_connection_the_server_ended_is_replaced_before_a_write_runs_on_it(pooled_server):
    assert call(pooled_server, "POST", "/api/articles/", {"title": "Before", "body": "."}, as_demo()).status == 201
    before = app_backends("articles")
    on_the_primary(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN {SERVED}")  # noqa: S608
    # The pool checks each connection it hands out (CONN_HEALTH_CHECKS): no write meets a dead one.
    for number in range(5):
        written = call(pooled_server, "POST", "/api/articles/", {"title": f"After {number}", "body": "."}, as_demo())
        assert written.status == 201, written.body
    assert not before & app_backends("articles"), "every ended connection was replaced"
