"""``python -m topology.mixed``: one env file for the data on PostgreSQL and the auth apps on MariaDB.

The layout of the Django documentation's multiple-database example: articles
and comments on the PostgreSQL primary and its standbys (``make pg-up``),
``auth_db`` and its copies on the MariaDB topology (``make db-up``). Both
write their own topology.env; this combines them (by default into
var/mixed.env), taking the data URLs from the first and the auth URLs from the
second. ``make run-mixed`` runs it after starting both, and again each time,
so a failover or a moved port is picked up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_POSTGRES_ENV = Path("var/postgres/topology.env")
DEFAULT_MYSQL_ENV = Path("var/mysql/topology.env")
DEFAULT_OUTPUT = Path("var/mixed.env")

# Which variables come from which topology: (name, required).
DATA_VARIABLES = (
    ("PRIMARY_DATABASE_URL", True),
    ("REPLICA1_DATABASE_URL", False),
    ("REPLICA2_DATABASE_URL", False),
)
AUTH_VARIABLES = (
    ("AUTH_DATABASE_URL", True),
    ("AUTH_REPLICA1_DATABASE_URL", False),
    ("AUTH_REPLICA2_DATABASE_URL", False),
)
DEMO_VARIABLES = ("DEMO_USER", "DEMO_PASSWORD")


class MixedEnvError(Exception):
    """A topology.env is missing or lacks a variable: the message says which, and what writes it."""


def read_env(path: Path, writer: str) -> dict[str, str]:
    """The variables of a topology.env; ``writer`` is the command that writes it (for the error)."""
    if not path.is_file():
        raise MixedEnvError(f"{path} does not exist: `{writer}` starts those servers and writes it.")
    return {name: value for name, value in dotenv_values(path).items() if value is not None}


def _pick(env: Mapping[str, str], variables: tuple[tuple[str, bool], ...], path: Path, writer: str) -> dict[str, str]:
    picked = {}
    for name, required in variables:
        value = env.get(name, "").strip()
        if value:
            picked[name] = value
        elif required:
            raise MixedEnvError(f"{path} has no {name}: run `{writer}` again to rewrite it.")
    return picked


def combine(
    postgres: Mapping[str, str],
    mysql: Mapping[str, str],
    postgres_path: Path = DEFAULT_POSTGRES_ENV,
    mysql_path: Path = DEFAULT_MYSQL_ENV,
) -> dict[str, str]:
    """The mixed variables: data from ``postgres``, auth from ``mysql``, the demo user from either."""
    variables = {
        **_pick(postgres, DATA_VARIABLES, postgres_path, "make pg-up"),
        **_pick(mysql, AUTH_VARIABLES, mysql_path, "make db-up"),
    }
    # The demo user lives in auth_db, so the auth side's choice wins.
    for name in DEMO_VARIABLES:
        value = mysql.get(name) or postgres.get(name)
        if value:
            variables[name] = value
    return variables


def render(variables: Mapping[str, str], postgres_path: Path, mysql_path: Path) -> str:
    lines = [
        "# Written by `make run-mixed` (python -m topology.mixed): articles and comments on PostgreSQL,",
        "# the auth apps on MariaDB, as the Django documentation's multiple-database example deploys them.",
        f"# Data: {postgres_path} (make pg-up). Auth: {mysql_path} (make db-up). Rewritten on each run.",
        *(f"{name}={value}" for name, value in variables.items()),
    ]
    return "\n".join(lines) + "\n"


def write_mixed_env(postgres_path: Path, mysql_path: Path, output: Path) -> Path:
    postgres = read_env(postgres_path, "make pg-up")
    mysql = read_env(mysql_path, "make db-up")
    text = render(combine(postgres, mysql, postgres_path, mysql_path), postgres_path, mysql_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Passwords inside: readable by the owner only, from the first byte.
    output.touch(mode=0o600, exist_ok=True)
    output.chmod(0o600)
    output.write_text(text)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m topology.mixed", description=__doc__)
    parser.add_argument("--postgres", type=Path, default=DEFAULT_POSTGRES_ENV, help="the PostgreSQL topology.env")
    parser.add_argument("--mysql", type=Path, default=DEFAULT_MYSQL_ENV, help="the MariaDB topology.env")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the combined env file to write")
    args = parser.parse_args(argv)
    try:
        output = write_mixed_env(args.postgres, args.mysql, args.output)
    except MixedEnvError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Connection settings: {output} (data on PostgreSQL, auth_db on MariaDB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
