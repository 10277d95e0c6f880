"""Plain HTTP against a running server (Django's live_server or a server process), and waiting."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

from tests.conftest import PASSWORD


def call(
    server, method: str, path: str, body: dict | None = None, user: str | None = None, headers: dict | None = None
):
    """(status, headers, JSON body) of one HTTP request to ``server`` (anything with a ``url``).

    ``user`` logs in with the suite's password; an ``Authorization`` header may be given instead.
    """
    request_headers = {"Content-Type": "application/json", **(headers or {})}
    if user:
        request_headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{server.url}{path}", data=data, method=method, headers=request_headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the test's own server
            return response.status, response.headers, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, _json(error.read())


def _json(raw: bytes):
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return {"raw": raw.decode(errors="replace")}


def wait_until(condition, seconds: float = 15, step: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} not met within {seconds} s"
        time.sleep(step)
