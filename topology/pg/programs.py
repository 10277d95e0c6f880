"""Running the PostgreSQL programs: the right binary, the right account, a clean environment."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from topology.pg.account import Account
from topology.pg.binaries import PgBinaries

# libpq reads PGHOST, PGPORT, PGUSER, PGSERVICE, PGSSLMODE, PGTARGETSESSIONATTRS...:
# a user's own settings must not send the cluster's commands to another server
# (the machine's PostgreSQL on 5432, say).
_LIBPQ_PREFIX = "PG"


def clean_environment(environ: Mapping[str, str], password: str | None = None) -> dict[str, str]:
    environment = {name: value for name, value in environ.items() if not name.startswith(_LIBPQ_PREFIX)}
    # Messages in English whatever the user's locale: errors are matched and quoted.
    environment["LC_MESSAGES"] = "C"
    if password is not None:
        environment["PGPASSWORD"] = password  # not on the command line, where `ps` would show it
    return environment


@dataclass(frozen=True)
class Programs:
    binaries: PgBinaries
    account: Account

    def run(
        self,
        program: str,
        args: Sequence[str],
        *,
        password: str | None = None,
        stdin: str | None = None,
        as_server_account: bool = True,
        cwd: Path | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run one program to its end; the caller reads returncode, stdout and stderr."""
        argv = [self.binaries.program(program), *args]
        if as_server_account:
            argv = self.account.command(argv)
        return subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            # The server account may not enter the caller's folder (/root, say).
            cwd=cwd,
            env=clean_environment(os.environ, password),
            # A session of its own: Ctrl-C on `make` must not reach a server pg_ctl starts.
            start_new_session=True,
        )
