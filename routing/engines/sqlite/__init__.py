"""SQLite: the embedded default, whose "replicas" are read-only connections to the primary's own file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from routing.diagnosis import AliasReport, Finding, Target
from routing.engines.base import UNREAD, Engine, Features, Positions, ReplicaStatus

# What sqlite3 says when the file or its folder cannot be used at all.
_DISCONNECTS = ("unable to open database file", "disk I/O error")


class SharedFile(Positions):
    """The replicas read the primary's own file, so every write is already there."""

    name = "sqlite"
    MARK = "sqlite"

    def after_commit(self, connection) -> str | None:
        return self.MARK

    def is_valid(self, position: str) -> bool:
        return position == self.MARK

    def reached(self, connection, position: str, timeout: float) -> bool:
        return True

    def covers(self, applied: str, position: str) -> bool:
        return True


SHARED_FILE = SharedFile()


def sqlite_path(name: str) -> tuple[Path, bool]:
    """The file behind a SQLite NAME (a path or a file: URI), and whether it opens read-only."""
    if name.startswith("file:"):
        parsed = urlparse(name)
        return Path(unquote(parsed.path)), "mode=ro" in parsed.query
    return Path(name), False


class SQLite(Engine):
    vendor = "sqlite"
    display_name = "SQLite"
    features = Features(replicas_share_storage=True)

    def probe_params(self, params: dict, timeout: float) -> dict:
        return {**params, "timeout": timeout}

    def is_disconnect(self, error: Exception) -> bool:
        return any(marker in str(error) for marker in _DISCONNECTS)

    def replica_status(self, cursor) -> ReplicaStatus | None:
        # Nothing to lag behind: a replica is the primary's file, read-only.
        cursor.execute("SELECT 1")
        return ReplicaStatus(
            receiving=True, applying=True, state="shared file", lag_seconds=0.0, lag_bytes=0, applied=SHARED_FILE.MARK
        )

    def primary_position(self, cursor) -> str:
        cursor.execute("SELECT 1")  # the file opens: that is all a position can say here
        return ""

    def positions(self, connection) -> Positions:
        return SHARED_FILE

    def target(self, alias: str, config: dict, url_variable: str) -> Target:
        path, _ = sqlite_path(str(config["NAME"]))
        return Target(alias, host="", port="", user="", database=path.name, url_variable=url_variable)

    def diagnose(self, handler, report: AliasReport, target: Target, create_missing: bool):
        path, read_only_uri = sqlite_path(str(handler.settings[report.alias]["NAME"]))
        report.target = str(path)
        report.database_present = path.exists()
        if not path.parent.is_dir():
            report.findings.append(
                Finding(
                    "missing-folder",
                    f"The folder {path.parent} does not exist, so {path.name} cannot be created there.",
                    f"Create the folder (mkdir -p {path.parent}) or correct the path in {target.url_variable}.",
                    blocks_connection=True,
                )
            )
            return UNREAD
        if not report.database_present:
            report.findings.append(
                Finding(
                    "missing-file",
                    f"{path} does not exist yet.",
                    "Create and migrate it: python manage.py migrate (make run does).",
                )
            )
            return UNREAD
        if not self.open(handler, report, target):
            return UNREAD
        with handler[report.alias].cursor() as cursor:
            cursor.execute("SELECT sqlite_version()")
            report.server = f"SQLite {cursor.fetchone()[0]}"
            cursor.execute("PRAGMA query_only")
            report.read_only = read_only_uri or bool(cursor.fetchone()[0])
            if report.role != "replica":
                return None
            report.notes.append("a read-only view of the primary's file")
            return self.replica_status(cursor)

    role_advice = {
        "replica-writable": (
            "This replica connection can write.",
            "Open it read-only: NAME='file:/path/to/primary.sqlite3?mode=ro'.",
        )
    }


ENGINE = SQLite()
POSITIONS = (SHARED_FILE,)
