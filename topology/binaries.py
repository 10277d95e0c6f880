"""Finding the MariaDB programs on this machine, or saying how to install them."""

from __future__ import annotations

import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Debian/Ubuntu install daemons in sbin, which is not on every user's PATH;
# Homebrew uses its own prefix.
_EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/homebrew/sbin"]


class MissingServer(RuntimeError):
    """No usable database server binary; the message says how to install one."""


def install_hint() -> str:
    if platform.system() == "Darwin":
        return "Install it with: brew install mariadb"
    return "Install it with: sudo apt-get install mariadb-server   (Debian/Ubuntu; the service need not run)"


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
        for folder in _EXTRA_DIRS:
            candidate = Path(folder) / name
            if candidate.is_file():
                return str(candidate)
    return None


@dataclass(frozen=True)
class Binaries:
    server: str
    install_db: str
    client: str
    version: str

    @property
    def flavor(self) -> str:
        return "mariadb" if "mariadb" in self.version.lower() else "mysql"


def find_binaries() -> Binaries:
    """The MariaDB server, its bootstrap tool and its client, or :class:`MissingServer`."""
    server = _find("mariadbd", "mysqld")
    if server is None:
        raise MissingServer(f"No MariaDB or MySQL server binary (mariadbd, mysqld) found. {install_hint()}")
    version = subprocess.run([server, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    if "mariadb" not in version.lower():
        raise MissingServer(
            f"{server} is MySQL ({version}). The local topology is built for MariaDB, whose GTID replication "
            f"it configures. {install_hint()}, or point the *_DATABASE_URL variables at your MySQL servers."
        )
    install_db = _find("mariadb-install-db", "mysql_install_db")
    client = _find("mariadb", "mysql")
    if install_db is None or client is None:
        raise MissingServer(f"Found {server} but not mariadb-install-db and the mariadb client. {install_hint()}")
    return Binaries(server=server, install_db=install_db, client=client, version=version)
