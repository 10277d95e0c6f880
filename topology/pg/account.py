"""Which operating-system account runs the PostgreSQL programs.

initdb and postgres refuse to run as root. Run as root, the cluster runs them as
the unprivileged ``postgres`` account (which the Debian and PGDG packages create)
through ``runuser``, and hands that account the folders they write. Run as
anyone else, they run as that user and nothing changes owner.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from topology.pg.errors import ClusterError

SERVER_ACCOUNT = "postgres"
_RUNUSER_FALLBACKS = ("/usr/sbin/runuser", "/sbin/runuser")


@dataclass(frozen=True)
class Account:
    """The account the servers run as; ``switch`` is the runuser path when it is not the current user."""

    name: str
    uid: int
    gid: int
    switch: str | None = None

    @property
    def switches(self) -> bool:
        return self.switch is not None

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` as this account runs it."""
        if self.switch is None:
            return list(argv)
        return [self.switch, "-u", self.name, "--", *argv]

    def give(self, path: Path) -> None:
        """Make ``path`` this account's (nothing to do when it is the current user)."""
        if self.switches:
            os.chown(path, self.uid, self.gid)

    def make_dir(self, path: Path) -> None:
        """A folder only this account can enter: PostgreSQL wants its data and socket folders private."""
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
        self.give(path)

    def write(self, path: Path, text: str) -> None:
        """A file this account owns and only it can read (it may hold a password)."""
        path.write_text(text)
        path.chmod(0o600)
        self.give(path)

    def can_write(self, folder: Path) -> bool:
        """Whether this account reaches and writes ``folder`` (every parent must let it through)."""
        if not self.switches:
            return os.access(folder, os.W_OK | os.X_OK)
        result = subprocess.run(self.command(["test", "-w", str(folder), "-a", "-x", str(folder)]), check=False)
        return result.returncode == 0


def server_account(
    euid: int | None = None,
    lookup: Callable[[str], pwd.struct_passwd] = pwd.getpwnam,
    which: Callable[[str], str | None] = shutil.which,
) -> Account:
    """The current user, or (as root) the ``postgres`` account with the means to switch to it."""
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        entry = pwd.getpwuid(euid)
        return Account(name=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid)
    try:
        entry = lookup(SERVER_ACCOUNT)
    except KeyError:
        raise ClusterError(
            f"PostgreSQL refuses to run as root, and there is no `{SERVER_ACCOUNT}` account to run it as. "
            f"Create one (sudo useradd --system --create-home {SERVER_ACCOUNT}) or run this as a normal user."
        ) from None
    runuser = which("runuser") or next((path for path in _RUNUSER_FALLBACKS if os.access(path, os.X_OK)), None)
    if runuser is None:
        raise ClusterError(
            f"PostgreSQL refuses to run as root, and runuser (util-linux) is missing to run it as `{SERVER_ACCOUNT}`. "
            "Run this as a normal user."
        )
    return Account(name=SERVER_ACCOUNT, uid=entry.pw_uid, gid=entry.pw_gid, switch=runuser)
