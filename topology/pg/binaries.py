"""Finding the PostgreSQL server programs on this machine, or saying how to install them.

Where to look, first match wins:

1. ``PG_BINDIR``, when set: the user said where, so nothing else is tried;
2. ``pg_config --bindir``: Debian and Homebrew keep the server programs off PATH, and
   pg_config knows their folder (but libpq-dev's pg_config names /usr/bin, which has
   no initdb: a folder counts only when it holds every program below);
3. the folder of ``pg_ctl`` on PATH (a symlink is followed to the real folder);
4. the folders packages use (Debian's /usr/lib/postgresql/N/bin, PGDG, Homebrew), newest first.
"""

from __future__ import annotations

import glob
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from topology.binaries import MissingServer

REQUIRED_PROGRAMS = ("initdb", "pg_ctl", "postgres", "pg_basebackup", "psql")
# 13 is the first release that reloads primary_conninfo without a restart (how a
# standby follows a new primary) and has wal_keep_size.
MINIMUM_MAJOR_VERSION = 13
WELL_KNOWN_FOLDERS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/usr/local/opt/postgresql*/bin",
)
_LOOKED_IN = "PG_BINDIR, `pg_config --bindir`, pg_ctl on PATH, /usr/lib/postgresql/*/bin"


class MissingPostgres(MissingServer):
    """No usable PostgreSQL server programs; the message says how to install them."""


def install_hint(system: str | None = None) -> str:
    if (system or platform.system()) == "Darwin":
        return "Install them with: brew install postgresql"
    return "Install them with: sudo apt-get install postgresql"


@dataclass(frozen=True)
class PgBinaries:
    bindir: Path
    version: str  # as `postgres --version` prints it
    source: str  # how the folder was found, for messages

    def program(self, name: str) -> str:
        return str(self.bindir / name)

    @property
    def major(self) -> int:
        return major_version(self.version)


def major_version(version: str) -> int:
    """15 for "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"; 0 when unreadable."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version)
    return int(match.group(1)) if match else 0


def missing_programs(folder: Path) -> list[str]:
    return [name for name in REQUIRED_PROGRAMS if not os.access(folder / name, os.X_OK)]


def _pg_config_bindir(path: str | None) -> Path | None:
    pg_config = shutil.which("pg_config", path=path)
    if pg_config is None:
        return None
    try:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    folder = result.stdout.strip()
    return Path(folder) if result.returncode == 0 and folder else None


def _newest_first(pattern: str) -> list[Path]:
    def version_key(folder: str) -> tuple[int, ...]:
        return tuple(int(number) for number in re.findall(r"\d+", folder))

    return [Path(folder) for folder in sorted(glob.glob(pattern), key=version_key, reverse=True)]


def candidate_folders(
    environ: Mapping[str, str], well_known: tuple[str, ...] = WELL_KNOWN_FOLDERS
) -> Iterator[tuple[str, Path]]:
    """(how it was found, folder) in the order they are tried, after PG_BINDIR."""
    path = environ.get("PATH", os.defpath)
    bindir = _pg_config_bindir(path)
    if bindir is not None:
        yield "pg_config --bindir", bindir
    pg_ctl = shutil.which("pg_ctl", path=path)
    if pg_ctl is not None:
        yield "pg_ctl on PATH", Path(pg_ctl).resolve().parent
    for pattern in well_known:
        for folder in _newest_first(pattern):
            yield str(folder), folder


def find_binaries(
    environ: Mapping[str, str] | None = None, well_known: tuple[str, ...] = WELL_KNOWN_FOLDERS
) -> PgBinaries:
    """The folder of the server programs, or :class:`MissingPostgres` with the install command."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("PG_BINDIR", "").strip()
    if explicit:
        folder = Path(explicit)
        lacking = missing_programs(folder)
        if lacking:
            raise MissingPostgres(f"PG_BINDIR={explicit} has no {', '.join(lacking)}. {install_hint()}")
        return _checked(PgBinaries(folder, _version(folder), "PG_BINDIR"))
    for source, folder in candidate_folders(environ, well_known):
        if not missing_programs(folder):
            return _checked(PgBinaries(folder, _version(folder), source))
    raise MissingPostgres(f"No PostgreSQL server programs (initdb, pg_ctl, postgres) in {_LOOKED_IN}. {install_hint()}")


def _version(folder: Path) -> str:
    result = subprocess.run([str(folder / "postgres"), "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip()


def _checked(binaries: PgBinaries) -> PgBinaries:
    if binaries.major < MINIMUM_MAJOR_VERSION:
        raise MissingPostgres(
            f"{binaries.bindir}/postgres is {binaries.version or 'of unknown version'}; the local cluster needs "
            f"PostgreSQL {MINIMUM_MAJOR_VERSION} or later. {install_hint()}, or set PG_BINDIR to a newer one."
        )
    return binaries
