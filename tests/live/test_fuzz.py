"""The API fuzzed from its own OpenAPI schema, on a live server with DEBUG off.

Schemathesis generates valid and invalid requests for every operation and
checks every response against the schema: no 5xx, documented status codes,
bodies and headers, invalid input refused, valid input accepted. Once
anonymous, once logged in as the demo user (the writes), under the
production override policy (``primary-only``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live.server import DEMO_PASSWORD, DEMO_USER, PROJECT, demo_authorization, live_server

pytestmark = pytest.mark.live

# Seconds per run: with two runs, the fuzzing stays within a few minutes.
BUDGET = int(os.environ.get("FUZZ_SECONDS", "75"))
SCHEMATHESIS = Path(sys.executable).parent / "st"


def schemathesis(server, report_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [
        str(SCHEMATHESIS), "run", f"{server.url}/api/schema/",
        "--checks", "all",
        "--max-time", str(BUDGET),
        "--workers", "1",
        "--request-timeout", "10",
        "--report", "junit", "--report-dir", str(report_dir),
        *extra,
    ]  # fmt: skip
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.live.fuzz_hooks", "PYTHONPATH": str(PROJECT)}
    # Run in the report folder: Schemathesis keeps a cache in its working directory.
    return subprocess.run(command, cwd=report_dir, env=env, capture_output=True, text=True, timeout=BUDGET * 3 + 60)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_server("gunicorn-gthread", tmp_path_factory.mktemp("fuzz")) as running:
        yield running


def _summary(result: subprocess.CompletedProcess) -> str:
    return f"schemathesis exited {result.returncode}:\n{result.stdout[-20000:]}\n{result.stderr[-5000:]}"


def test_anonymous_requests_conform_to_the_schema(server, tmp_path):
    result = schemathesis(server, tmp_path)
    assert result.returncode == 0, _summary(result)


def test_authenticated_requests_conform_to_the_schema(server, tmp_path):
    result = schemathesis(server, tmp_path, "--auth", f"{DEMO_USER}:{DEMO_PASSWORD}")
    assert result.returncode == 0, _summary(result)
    assert "Authentication failed" not in result.stdout, _summary(result)
    # The demo user's writes were accepted, not refused wholesale. The fuzzer's
    # stateful phase may delete what it created, so count the ids it used up:
    # SQLite never reuses an AUTOINCREMENT id, so one more article's id says
    # how many were created before it.
    connection = server.connection()
    body = json.dumps({"title": "after the fuzzing"})
    headers = {"Content-Type": "application/json", "Authorization": demo_authorization()}
    connection.request("POST", "/api/articles/", body=body, headers=headers)
    response = connection.getresponse()
    assert response.status == 201
    assert json.loads(response.read())["id"] > 1, "the fuzzer's writes were all refused"
