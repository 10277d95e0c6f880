"""What the doctor reports: a report per alias, its findings, and where an alias points.

Each engine adapter (``routing.engines``) fills these in; the tables that turn
a database error into its cause and a fix live with the engine they explain.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

# The account the server matched, as MySQL's access-denied messages name it: 'app'@'127.0.0.1'.
_ACCOUNT = re.compile(r"'(?P<user>[^']*)'@'(?P<host>[^']*)'")


@dataclass(frozen=True)
class Finding:
    code: str  # the server's error number, or a name such as "replication-stopped"
    problem: str  # what is wrong, with the server's own words
    fix: str  # what to do about it
    # The alias cannot be opened at all because of it (a command using it fails).
    blocks_connection: bool = field(default=False, compare=False)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "problem": self.problem, "fix": self.fix}

    def lines(self, indent: str = "  ") -> list[str]:
        """The finding as a person reads it: the problem, then the fix (several lines are aligned)."""
        fix = self.fix.splitlines() or [""]
        return [
            f"{indent}problem [{self.code}]: {self.problem}",
            f"{indent}fix: {fix[0]}",
            *(f"{indent}     {line}" for line in fix[1:]),
        ]


@dataclass(frozen=True)
class Target:
    """Where an alias points, without its password."""

    alias: str
    host: str
    port: str
    user: str
    database: str
    url_variable: str  # the environment variable that configures the alias
    socket: str = ""  # the Unix socket the driver is told to use, if any

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


@dataclass
class AliasReport:
    alias: str
    role: str  # what routing expects: primary, replica, auth, default, other
    engine: str  # mysql, postgresql, sqlite, ...
    target: str  # where it points, without a password
    reachable: bool = False
    server: str = ""
    read_only: bool | None = None
    replicating: bool | None = None
    replication_threads: str = ""
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    gtid: str = ""  # the replication position: a GTID, or a PostgreSQL WAL position (LSN)
    database: str = ""
    database_present: bool | None = None
    charset: str = ""
    collation: str = ""
    migrations: str = ""
    applied_migrations: int | None = None
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.findings

    @property
    def cannot_connect(self) -> bool:
        """Whether the alias cannot be opened at all, so a command that uses it fails."""
        return any(finding.blocks_connection for finding in self.findings)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["healthy"] = self.healthy
        data["findings"] = [finding.as_dict() for finding in self.findings]
        return data


def account_in(message: str, target: Target) -> str:
    """The account a GRANT must name: the one the server matched, else the user on any host.

    ``'app'@'%'`` is a different account from the ``'app'@'127.0.0.1'`` the
    server may have matched, and granting to it changes nothing for this login.
    """
    match = _ACCOUNT.search(message)
    if match is None:
        return f"'{target.user}'@'%'"
    return f"'{match['user']}'@'{match['host']}'"


def driver_missing(message: str, fix: str) -> Finding:
    return Finding("driver", f"The database driver could not be loaded: {message}", fix, blocks_connection=True)
