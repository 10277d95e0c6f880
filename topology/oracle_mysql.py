"""``python -m topology.oracle_mysql``: Oracle MySQL on a machine whose distribution ships only MariaDB.

Debian's stable release has no Oracle MySQL; its unstable archive has MySQL 9.7
(``mysql-server-core``, ``mysql-client-core``). This builds a minimal Debian
unstable root with those two packages under ``var/oracle-mysql/root`` with
debootstrap, and writes ``var/oracle-mysql/bin/mysqld`` and ``bin/mysql``:
small scripts that run the root's programs through the root's own dynamic
loader and libraries, so neither ``chroot`` nor the host's libraries are
involved. A root that is already there is reused.

Print the ``MYSQLD=...`` line to use with ``make db-up``, ``make run-mysql``
and the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_HOME = Path("var/oracle-mysql")
PACKAGES = ("mysql-server-core", "mysql-client-core")
SUITE = "sid"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# The loader and library folder of each architecture Debian builds MySQL for.
_LOADERS = {
    "x86_64": ("usr/lib64/ld-linux-x86-64.so.2", "x86_64-linux-gnu"),
    "aarch64": ("usr/lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu"),
}

# Both programs would otherwise read the host's /etc/mysql/my.cnf, which on a
# MariaDB machine holds MariaDB's options. An option file given by the caller
# must stay the first argument, as both programs require.
_WRAPPER = """#!/bin/sh
# {program} from the Debian unstable root beside this folder ({version}), run
# through that root's own loader and libraries (no chroot). Made by `make oracle-mysql`.
root="$(cd "$(dirname "$0")/../root" && pwd)"
defaults=--no-defaults
case "$1" in
    --no-defaults|--defaults-file=*|--defaults-extra-file=*) defaults="$1"; shift ;;
esac
exec "$root/{loader}" --library-path "$root/usr/lib/{triplet}:$root/lib/{triplet}" \\
    "$root/{path}" "$defaults" {options} "$@"
"""
_SERVER_OPTIONS = (
    '--basedir="$root/usr" --lc-messages-dir="$root/usr/share/mysql" '
    '--plugin-dir="$root/usr/lib/mysql/plugin" --character-sets-dir="$root/usr/share/mysql/charsets" '
    # Debian's build points this at /var/lib/mysql-files, which the host lacks;
    # NULL turns LOAD DATA INFILE and SELECT ... INTO OUTFILE off instead.
    "--secure-file-priv=NULL"
)
_CLIENT_OPTIONS = '--character-sets-dir="$root/usr/share/mysql/charsets"'


class BuildError(RuntimeError):
    """Something the user must act on; the message says what."""


def apt_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror apt already uses (deb822 or one-line sources), else deb.debian.org."""
    candidates = [*sorted(sources.glob("sources.list.d/*.sources")), sources / "sources.list"]
    for path in candidates:
        try:
            text = path.read_text()
        except OSError:
            continue
        for match in re.finditer(r"^\s*(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)", text, re.MULTILINE):
            uri = match.group(1).rstrip("/")
            if uri.endswith("/debian") and "security" not in uri:
                return uri
    return DEFAULT_MIRROR


def loader_for(machine: str | None = None) -> tuple[str, str]:
    machine = machine or platform.machine()
    try:
        return _LOADERS[machine]
    except KeyError:
        raise BuildError(
            f"No recipe for {machine}: Oracle MySQL from Debian's archive is set up here for "
            f"{', '.join(_LOADERS)} only."
        ) from None


def server_version(mysqld: Path) -> str | None:
    """What ``mysqld --version`` prints, or None when it does not run."""
    try:
        result = subprocess.run([str(mysqld), "--version"], capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 and "Ver" in result.stdout else None


def debootstrap() -> str:
    program = shutil.which("debootstrap") or ("/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").exists() else "")
    if not program:
        raise BuildError("debootstrap is missing. Install it with: sudo apt-get install debootstrap")
    if os.geteuid() != 0:
        raise BuildError("debootstrap needs root: run `sudo make oracle-mysql` (it writes only under var/).")
    return program


def build_root(home: Path, mirror: str) -> Path:
    """Debootstrap the root into a scratch folder, then move it in place: a broken run is never reused."""
    root, scratch = home / "root", home / "root.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    log = home / "debootstrap.log"
    command = [
        debootstrap(),
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        SUITE,
        str(scratch),
        mirror,
    ]
    print(f"oracle-mysql: building a Debian {SUITE} root with {', '.join(PACKAGES)} from {mirror} (about a minute)")
    with open(log, "w") as output:
        result = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise BuildError(f"debootstrap failed (exit {result.returncode}); the end of {log}:\n{tail}")
    shutil.rmtree(root, ignore_errors=True)
    scratch.rename(root)
    return root


def write_wrappers(home: Path, version: str) -> Path:
    loader, triplet = loader_for()
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    programs = {"mysqld": ("usr/sbin/mysqld", _SERVER_OPTIONS), "mysql": ("usr/bin/mysql", _CLIENT_OPTIONS)}
    for name, (path, options) in programs.items():
        wrapper = bin_dir / name
        wrapper.write_text(
            _WRAPPER.format(program=name, version=version, loader=loader, triplet=triplet, path=path, options=options)
        )
        wrapper.chmod(0o755)
    return bin_dir / "mysqld"


def ensure(home: Path, mirror: str | None = None) -> Path:
    """The wrapper of a working MySQL 9.7 server under ``home``, building the root if needed."""
    home = home.resolve()
    root_server = home / "root" / "usr" / "sbin" / "mysqld"
    if not root_server.exists() or server_version(write_wrappers(home, "unknown")) is None:
        build_root(home, mirror or os.environ.get("ORACLE_MYSQL_MIRROR") or apt_mirror())
    wrapper = write_wrappers(home, "unknown")
    version = server_version(wrapper)
    if version is None:
        raise BuildError(f"{wrapper} does not run; remove {home} and run `make oracle-mysql` again.")
    return write_wrappers(home, version.split(" Ver ", 1)[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m topology.oracle_mysql", description=__doc__)
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="folder for the root and the wrappers")
    parser.add_argument("--mirror", help="Debian mirror (default: the one apt uses, else deb.debian.org)")
    args = parser.parse_args(argv)
    try:
        mysqld = ensure(args.home, args.mirror)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"oracle-mysql: {server_version(mysqld)}")
    print("Use it with:")
    print(f"  MYSQLD={os.path.relpath(mysqld)} make run-mysql")
    return 0


if __name__ == "__main__":
    sys.exit(main())
