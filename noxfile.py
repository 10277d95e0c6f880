"""``make test-matrix``: the routing package's own tests on every supported Python and Django.

Each session installs the package from this tree (so its declared dependencies
are resolved as a user's pip would) with one Django release, and runs
tests/package/ (a project of its own: no api/, no project/) on SQLite.
Django 6.x needs Python 3.12 or newer, so 3.11 runs 5.2 LTS only. The
interpreters are found on PATH as python3.11, python3.12, python3.13.
"""

import os

import nox

# Every combination Django supports: 5.2 LTS on 3.11-3.13, 6.1 on 3.12-3.13.
COMBINATIONS = [("3.11", "5.2"), ("3.12", "5.2"), ("3.13", "5.2"), ("3.12", "6.1"), ("3.13", "6.1")]
TEST_TOOLS = ["pytest==9.2.0", "pytest-django==4.14.0"]

# In CI a missing interpreter fails the run; on a contributor's machine its
# sessions are reported as skipped (pyenv install 3.12 3.13 provides them).
nox.options.error_on_missing_interpreters = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
nox.options.reuse_existing_virtualenvs = True


@nox.session
@nox.parametrize(("python", "django"), COMBINATIONS)
def package(session: nox.Session, django: str) -> None:
    session.install(".", f"Django~={django}.0", *TEST_TOOLS)
    session.run(
        "python", "-c", "import sys, django; print('Python', sys.version.split()[0], 'Django', django.get_version())"
    )
    session.run(
        "python",
        "-m",
        "pytest",
        "--ds=tests.package.settings",
        "--confcutdir=tests/package",
        "-p",
        "no:cacheprovider",
        "-q",
        "tests/package",
        *session.posargs,
    )
