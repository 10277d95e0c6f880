"""Finding the MySQL server programs on this machine, or saying how to install them.

``MYSQLD`` names the server binary to use (MariaDB's ``mariadbd`` or Oracle
MySQL's ``mysqld``; ``make oracle-mysql`` prints one). Without it, the first of
``mariadbd`` and ``mysqld`` found on PATH or in the usual folders. The
client (and MariaDB's bootstrap tool) are looked for next to the server first,
then in the same places.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from topology.flavors import Flavor, flavor_of

# Debian/Ubuntu install daemons in sbin, which is not on every user's PATH;
# Homebrew uses its own prefix.
_EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/homebrew/sbin"]
# Where `make oracle-mysql` puts its server, for the suite's Oracle MySQL run.
ORACLE_MYSQL = Path(__file__).resolve().parents[1] / "var" / "oracle-mysql" / "bin" / "mysqld"


class MissingServer(RuntimeError):
    """No usable database server binary; the message says how to install one."""


def install_hint() -> str:
    if platform.system() == "Darwin":
        return "Install it with: brew install mariadb"
    return "Install it with: sudo apt-get install mariadb-server   (Debian/Ubuntu; the service need not run)"


def _find(*names: str, near: tuple[Path, ...] = ()) -> str | None:
    for folder in near:
        for name in names:
            if (folder / name).is_file():
                return str(folder / name)
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
    install_db: str  # MariaDB's bootstrap tool; "" for MySQL, whose server initializes itself
    client: str
    version: str  # as `mysqld --version` prints it

    @cached_property
    def flavor(self) -> Flavor:
        return flavor_of(self.version)

    @property
    def server_name(self) -> str:
        """``MariaDB 10.11.19`` or ``MySQL 9.7.4``."""
        return self.flavor.server_name(self.version)


def server_version(server: str) -> str:
    try:
        result = subprocess.run([server, "--version"], capture_output=True, text=True, check=False, timeout=30)
    except OSError as error:
        raise MissingServer(f"{server} does not run: {error}") from None
    if result.returncode != 0 or " Ver " not in result.stdout:
        raise MissingServer(f"{server} --version failed: {(result.stderr or result.stdout).strip()[:300]}")
    return result.stdout.strip()


def binaries_for(server: str) -> Binaries:
    """The programs that go with the server binary ``server``."""
    server = str(Path(server).resolve()) if os.sep in server else (_find(server) or server)
    version = server_version(server)
    # Debian: sbin/mariadbd with bin/mariadb; a tarball: bin/ and scripts/.
    folder = Path(server).parent
    near = (folder, folder.parent / "bin", folder.parent / "scripts")
    if flavor_of(version).name == "MariaDB":
        install_db = _find("mariadb-install-db", "mysql_install_db", near=near)
        client = _find("mariadb", "mysql", near=near)
        if install_db is None or client is None:
            raise MissingServer(f"Found {server} but not mariadb-install-db and the mariadb client. {install_hint()}")
        return Binaries(server=server, install_db=install_db, client=client, version=version)
    client = _find("mysql", near=near)
    if client is None:
        raise MissingServer(f"Found {server} but not the mysql client next to it or on PATH.")
    return Binaries(server=server, install_db="", client=client, version=version)


def find_binaries(environ: Mapping[str, str] | None = None) -> Binaries:
    """The server named by ``MYSQLD``, else the first of mariadbd and mysqld found, or :class:`MissingServer`."""
    environ = os.environ if environ is None else environ
    chosen = environ.get("MYSQLD", "").strip()
    if chosen:
        if os.sep in chosen and not Path(chosen).is_file():
            raise MissingServer(
                f"MYSQLD={chosen}: no such file. (`make oracle-mysql` makes var/oracle-mysql/bin/mysqld.)"
            )
        return binaries_for(chosen)
    server = _find("mariadbd", "mysqld")
    if server is None:
        raise MissingServer(
            f"No MariaDB or MySQL server binary (mariadbd, mysqld) found. {install_hint()}, "
            "or set MYSQLD to a server binary (`make oracle-mysql` makes one for Oracle MySQL)."
        )
    return binaries_for(server)


def find_flavor(name: str, environ: Mapping[str, str] | None = None) -> Binaries:
    """A server of one kind (``MariaDB`` or ``MySQL``) for the suite's runs on each.

    MYSQLD when it is of that kind, else the usual programs; for MySQL also
    `make oracle-mysql`'s server.
    """
    environ = os.environ if environ is None else environ
    usual = ["mariadbd", "mysqld"] if name == "MariaDB" else [str(ORACLE_MYSQL), "mysqld"]
    for candidate in filter(None, [environ.get("MYSQLD", "").strip(), *usual]):
        try:
            binaries = binaries_for(candidate)
        except MissingServer:
            continue
        if binaries.flavor.name == name:
            return binaries
    if name == "MariaDB":
        raise MissingServer(f"No MariaDB server binary (mariadbd) found. {install_hint()}")
    raise MissingServer(
        "No Oracle MySQL server: MYSQLD is not one, var/oracle-mysql/bin/mysqld is missing and no mysqld "
        "on PATH is Oracle MySQL. `make oracle-mysql` makes one (it needs debootstrap)."
    )
