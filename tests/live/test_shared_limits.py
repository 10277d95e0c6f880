"""With REDIS_URL, the write throttle and the login limits count across processes.

A Redis server of the test's own (own port, no persistence; never the
machine's service), and two separate processes of the service: what one
counts, the other sees.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fleet import redis_server
from tests.live.server import PROJECT, embedded_environment

pytestmark = pytest.mark.live


@pytest.fixture
def redis_url(tmp_path):
    with redis_server(tmp_path) as url:
        yield url


def in_a_process_of_its_own(tmp_path, redis_url: str, code: str) -> str:
    env = {**embedded_environment(tmp_path), "REDIS_URL": redis_url, "LOGIN_FAILURE_LIMIT": "3"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_login_failures_counted_in_one_process_lock_out_in_another(tmp_path, redis_url):
    backend = "from django.core.cache import caches; print(type(caches['default']).__name__)"
    assert in_a_process_of_its_own(tmp_path, redis_url, backend) == "RedisCache"
    fail = "from project.login_limits import record_failure; [record_failure('mallory', '192.0.2.1') for _ in range(3)]"
    in_a_process_of_its_own(tmp_path, redis_url, fail)
    ask = "from project.login_limits import seconds_locked; print(seconds_locked('mallory', '203.0.113.5'))"
    assert 1 <= int(in_a_process_of_its_own(tmp_path, redis_url, ask)) <= 300


def test_without_redis_each_process_counts_alone(tmp_path):
    env = {**embedded_environment(tmp_path), "REDIS_URL": ""}
    code = "from django.core.cache import caches; print(type(caches['default']).__name__)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "LocMemCache"
