"""Which server is behind a host and port, even when it refuses our login.

A MySQL-protocol server speaks first: its handshake packet carries its version
string before any authentication. The doctor reads it to give advice that is
right for that server (MariaDB and Oracle MySQL need different statements for
the same access-denied error), with no account at all.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass

_HANDSHAKE_V10 = 10
# MariaDB prefixes its version with "5.5.5-" for replication clients that check it.
_MARIADB_PREFIX = "5.5.5-"


@dataclass(frozen=True)
class ServerKind:
    """``MariaDB`` or ``MySQL`` with its version as a tuple; ``unknown`` when the greeting could not be read."""

    name: str
    version: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        if not self.version:
            return "the server"
        return f"{self.name} {'.'.join(map(str, self.version))}"


UNKNOWN = ServerKind("unknown")


def parse_greeting(packet: bytes) -> ServerKind:
    """The server kind from the first packet a server sends (4-byte header, protocol 10, version, NUL)."""
    if len(packet) < 6 or packet[4] != _HANDSHAKE_V10 or b"\0" not in packet[5:]:
        return UNKNOWN
    version = packet[5 : packet.index(b"\0", 5)].decode("ascii", errors="replace")
    name = "MariaDB" if "mariadb" in version.lower() else "MySQL"
    version = version.removeprefix(_MARIADB_PREFIX)
    numbers = []
    for part in version.split("-")[0].split(".")[:3]:
        if not part.isdigit():
            break
        numbers.append(int(part))
    return ServerKind(name, tuple(numbers))


def read_greeting(host: str, port: int, unix_socket: str = "", timeout: float = 2.0) -> ServerKind:
    """Connect, read the handshake and hang up; UNKNOWN when nothing answers in ``timeout`` seconds."""
    try:
        if unix_socket:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(timeout)
            connection.connect(unix_socket)
        else:
            connection = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return UNKNOWN
    with contextlib.closing(connection):
        try:
            return parse_greeting(connection.recv(512))
        except OSError:
            return UNKNOWN
