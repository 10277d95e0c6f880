"""Running a management command the way a user does, with one database URL broken on purpose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT = Path(__file__).resolve().parents[1]


def broken_url(url: str, *, port: int | None = None, password: str | None = None, database: str | None = None) -> str:
    """``url`` with its port, password or database replaced."""
    parts = urlsplit(url)
    user, _, old_password = parts.netloc.rpartition("@")[0].partition(":")
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password if password is not None else old_password}@{host}:{port or parts.port}"
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``python manage.py *args`` in a fresh process with ``env`` on top of this one's environment."""
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=120
    )


def assert_diagnosed(result: subprocess.CompletedProcess, alias: str, codes: str | set[str], *words: str) -> str:
    """The command failed with the doctor's finding for ``alias`` and no traceback; returns what it printed."""
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in printed, printed
    assert f"\n{alias} (" in printed, printed
    codes = {codes} if isinstance(codes, str) else codes
    assert any(f"problem [{code}]" in printed for code in codes), printed
    assert "fix: " in printed
    assert "python manage.py dbdoctor" in printed
    for word in words:
        assert word in printed, printed
    return printed
