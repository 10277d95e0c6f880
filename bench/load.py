"""Driving a running server from outside its process: wrk, or a bounded Python client.

Every scenario is one *operation* repeated by N connections for a fixed time:
a list page, an article, a create, or a write followed by a read of what was
written (the read sends back what the write handed out: the causal token, or
django-multidb-router's pin cookie).
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CONNECTIONS = 8
_ID = re.compile(rb'"id":(\d+)')


@dataclass(frozen=True)
class Session:
    """A logged-in client's cookies and CSRF token (session authentication)."""

    cookie: str
    csrf_token: str


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    writes: bool = False
    pairs: bool = False  # a write and a read per operation


SCENARIOS = [
    Scenario("list", "GET /api/articles/?page_size=20: 20 articles, authors and comment counts"),
    Scenario("detail", "GET /api/articles/{id}/"),
    Scenario("create", "POST /api/articles/ (session-authenticated)", writes=True),
    Scenario("write-then-read", "POST an article, then GET it with what the POST handed back", writes=True, pairs=True),
]
READ_SCENARIOS = {"list", "detail"}


@dataclass
class Result:
    operations: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else 0.0


def generator_name() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run(port: int, scenario: Scenario, seconds: float, session: Session, article_ids: list[int]) -> Result:
    if shutil.which("wrk"):
        return _run_wrk(port, scenario, seconds, session, article_ids)
    return _run_python(port, scenario, seconds, session, article_ids)


# wrk ------------------------------------------------------------------------------

_WRK_SCRIPT = """
local scenario, cookie, csrf = "{scenario}", "{cookie}", "{csrf}"
local ids = {{{ids}}}
local counter, phase, new_id, token, pin = 0, "write", nil, nil, nil
local json_headers = {{["Content-Type"] = "application/json", ["Cookie"] = cookie, ["X-CSRFToken"] = csrf}}

request = function()
  counter = counter + 1
  if scenario == "list" then
    return wrk.format("GET", "/api/articles/?page_size=20")
  elseif scenario == "detail" then
    return wrk.format("GET", "/api/articles/" .. ids[(counter % #ids) + 1] .. "/")
  elseif scenario == "create" or phase == "write" then
    return wrk.format("POST", "/api/articles/", json_headers, '{{"title": "bench"}}')
  else
    local headers = {{["Cookie"] = cookie .. (pin and ("; " .. pin) or "")}}
    if token then headers["X-DB-Causal-Token"] = token end
    return wrk.format("GET", "/api/articles/" .. new_id .. "/", headers)
  end
end

-- Only the pairs need to see responses (wrk parses bodies only when asked to).
if scenario == "write-then-read" then
  response = function(status, headers, body)
    if phase == "write" then
      new_id = string.match(body, '"id":(%d+)')
      token = headers["X-DB-Causal-Token"]
      pin = string.match(headers["Set-Cookie"] or "", "(multidb_pin_writes=[^;]*)")
      phase = new_id and "read" or "write"
    else
      phase = "write"
    end
  end
end

done = function(summary, latency, requests)
  io.write(string.format('WRK_RESULT {{"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, ' ..
    '"status_errors": %d, "socket_errors": %d}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""


def _run_wrk(port: int, scenario: Scenario, seconds: float, session: Session, article_ids: list[int]) -> Result:
    script = _WRK_SCRIPT.format(
        scenario=scenario.name,
        cookie=session.cookie,
        csrf=session.csrf_token,
        ids=",".join(map(str, article_ids)),
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        # One connection per thread: a write-then-read pair stays on its connection.
        command = [
            "wrk",
            f"-t{CONNECTIONS}",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            handle.name,
            f"http://127.0.0.1:{port}",
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    finally:
        Path(handle.name).unlink()
    line = next(line for line in output.splitlines() if line.startswith("WRK_RESULT "))
    data = json.loads(line.removeprefix("WRK_RESULT "))
    requests = data["requests"]
    operations = requests // 2 if scenario.pairs else requests
    return Result(
        operations=operations,
        seconds=data["seconds"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["status_errors"] + data["socket_errors"],
    )


# Python client ----------------------------------------------------------------------


def _run_python(port: int, scenario: Scenario, seconds: float, session: Session, article_ids: list[int]) -> Result:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed, counter = [], 0, offset
        while time.perf_counter() < deadline:
            counter += 1
            started = time.perf_counter()
            ok = _operation(connection, scenario, session, article_ids[counter % len(article_ids)])
            mine.append(time.perf_counter() - started)
            failed += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(index * 7919,)) for index in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]
    return Result(
        operations=len(latencies),
        seconds=elapsed,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        errors=errors[0],
    )


def _operation(connection: http.client.HTTPConnection, scenario: Scenario, session: Session, article_id: int) -> bool:
    if scenario.name == "list":
        return _request(connection, "GET", "/api/articles/?page_size=20", {})[0] < 400
    if scenario.name == "detail":
        return _request(connection, "GET", f"/api/articles/{article_id}/", {})[0] < 400
    headers = {"Content-Type": "application/json", "Cookie": session.cookie, "X-CSRFToken": session.csrf_token}
    status, response_headers, body = _request(connection, "POST", "/api/articles/", headers, b'{"title": "bench"}')
    if scenario.name == "create" or status >= 400:
        return status < 400
    match = _ID.search(body)
    if match is None:
        return False
    read_headers = {"Cookie": session.cookie}
    if response_headers.get("X-DB-Causal-Token"):
        read_headers["X-DB-Causal-Token"] = response_headers["X-DB-Causal-Token"]
    pin = re.search(r"(multidb_pin_writes=[^;]*)", response_headers.get("Set-Cookie", ""))
    if pin:
        read_headers["Cookie"] += f"; {pin.group(1)}"
    return _request(connection, "GET", f"/api/articles/{match.group(1).decode()}/", read_headers)[0] < 400


def _request(connection, method: str, path: str, headers: dict, body: bytes | None = None):
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.headers, response.read()
