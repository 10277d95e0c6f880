"""The package as a stranger meets it: build the wheel, install it into a new project, follow its README.

A fresh virtual environment (the newest Python the machine has, so the newest
Django that supports it) gets the wheel and nothing of this repository.
``django-admin startproject mysite`` makes a brand-new project, and the
package README's own code blocks are applied to it in order: the blocks marked
``<!-- append-to: FILE -->`` are appended to that file, the ``<!-- run -->``
commands are run, and the ``<!-- request -->`` block's request is sent to the
project's server, whose response must carry the headers that block shows. If
the README's instructions are not enough, this test fails.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.live
PROJECT = Path(__file__).resolve().parents[2]
PACKAGE_README = PROJECT / "routing" / "README.md"
_BLOCK = re.compile(r"<!-- (?P<marker>[a-z-]+)(?:: (?P<target>\S+))? -->\n```\w*\n(?P<body>.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Step:
    marker: str  # append-to, run, request
    target: str  # the file, for append-to
    body: str


def readme_steps() -> list[Step]:
    return [
        Step(match["marker"], match["target"] or "", match["body"])
        for match in _BLOCK.finditer(PACKAGE_README.read_text())
    ]


def newest_python() -> str:
    """The newest CPython 3.11+ on this machine (pyenv's, else this one)."""
    candidates = [sys.executable]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(path) for path in pyenv_root.glob("3.1[1-9]*/bin/python3")]

    def version(python: str) -> tuple[int, ...]:
        printed = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True, check=False
        ).stdout.split()
        return tuple(map(int, printed)) if printed else (0,)

    return max(candidates, key=version)


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test's own server
                return response.status, dict(response.headers), response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def first_request(body: str) -> tuple[str, list[str]]:
    """The URL of the block's first plain `curl -si URL` and the header lines shown after it."""
    lines = body.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"\$ curl -si (http://\S+)", line)
        if match:
            shown = []
            for following in lines[index + 1 :]:
                if following.startswith("$"):
                    break
                shown.append(following)
            return match.group(1), shown
    raise AssertionError("the request block has no `curl -si URL` line")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(PROJECT)], PROJECT, dict(os.environ))
    [built] = out.glob("django_per_request_routing-*.whl")
    return built


def test_the_wheel_holds_the_routing_package_alone(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"routing", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    assert "routing/README.md" in names
    assert not [name for name in names if name.startswith(("api/", "project/", "openapi/", "topology/", "tests/"))]


def test_a_new_project_following_the_package_readme_serves_from_the_replica(wheel, tmp_path):
    environment = tmp_path / "venv"
    subprocess.run([newest_python(), "-m", "venv", str(environment)], check=True)
    python = str(environment / "bin" / "python")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO", "PYTHON", "VIRTUAL"))}
    env["PATH"] = f"{environment / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    run([python, "-m", "pip", "install", "--quiet", "--upgrade", "Django", str(wheel)], tmp_path, env)
    django_version = run([python, "-c", "import django; print(django.get_version())"], tmp_path, env).strip()
    print(f"\nfresh project on Django {django_version} ({newest_python()}) with {wheel.name}")

    run([str(environment / "bin" / "django-admin"), "startproject", "mysite"], tmp_path, env)
    site = tmp_path / "mysite"
    request_step = None
    for step in readme_steps():
        if step.marker == "append-to":
            with open(site / step.target, "a") as target:
                target.write("\n" + step.body)
        elif step.marker == "run":
            for line in step.body.splitlines():
                command = line.split("#")[0].split()
                if command:
                    assert command[:2] == ["python", "manage.py"], f"README runs something else: {line}"
                    run([python, *command[1:]], site, env)
        elif step.marker == "request":
            request_step = step
    assert request_step is not None, "the package README shows no request"

    url, expected = first_request(request_step.body)
    port = free_port()
    server = subprocess.Popen(
        [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=site,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, headers, body = get(url.replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert status == 200, output
    shown = [f"{name}: {value}" for name, value in headers.items() if name.lower().startswith("x-db-")]
    assert shown == expected, f"Django {django_version}: {headers}\n{output}"
    assert b"example.com" in body
    shutil.rmtree(environment, ignore_errors=True)
