"""Diagnosing every database alias: can it be reached, and is it what routing expects?

The doctor opens its own connections (a private ``ConnectionHandler``), never
the application's, with a short connect timeout so a dead host cannot hang it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import ConnectionHandler

from routing.aliases import migration_aliases, same_database
from routing.conf import routing_settings
from routing.diagnosis import Finding, Target, driver_missing, explain_connection_error, replication_stopped
from routing.replication import lag_seconds, last_error, replica_status, threads

CONNECT_TIMEOUT_SECONDS = 3
# Global privileges that let an account write on a read_only server.
_BYPASS_READ_ONLY = ("SUPER", "READ ONLY ADMIN", "ALL PRIVILEGES", "CONNECTION_ADMIN", "SYSTEM_VARIABLES_ADMIN")
_GRANT = re.compile(r"^GRANT (?P<privileges>.+?) ON (?P<scope>\S+) TO ", re.IGNORECASE)


@dataclass
class AliasReport:
    alias: str
    role: str  # what routing expects: primary, replica, auth, default, other
    engine: str  # mysql, sqlite, ...
    target: str  # where it points, without a password
    reachable: bool = False
    server: str = ""
    read_only: bool | None = None
    replicating: bool | None = None
    replication_threads: str = ""
    lag_seconds: float | None = None
    gtid: str = ""
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

    def as_dict(self) -> dict:
        data = asdict(self)
        data["healthy"] = self.healthy
        data["findings"] = [finding.as_dict() for finding in self.findings]
        return data


def expected_role(alias: str) -> str:
    if alias == routing_settings.primary:
        return "primary"
    if alias in routing_settings.replicas:
        return "replica"
    if alias == routing_settings.auth_db:
        return "auth"
    if alias in routing_settings.auth_replicas:
        return "replica"
    return "default" if alias == "default" else "other"


def url_variable(alias: str) -> str:
    """Where the user configures ``alias``, in the words of their project."""
    return routing_settings.doctor_url_variables.get(alias, f"DATABASES['{alias}']")


def diagnose(
    databases: dict[str, dict], aliases: list[str] | None = None, *, create_missing: bool = False
) -> list[AliasReport]:
    """One report per alias (all of ``databases``, a DATABASES setting, by default)."""
    private = copy.deepcopy(databases)
    for config in private.values():
        if "mysql" in config.get("ENGINE", ""):
            # A read timeout too: something that accepts the connection but never
            # speaks MySQL would otherwise hold the doctor for the driver's default.
            config.setdefault("OPTIONS", {}).update(
                connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=CONNECT_TIMEOUT_SECONDS
            )
    handler = ConnectionHandler(private)
    reports: dict[str, AliasReport] = {}
    try:
        for alias in aliases or list(private):
            reports[alias] = _diagnose_alias(handler, alias, create_missing)
    finally:
        handler.close_all()
    _compare_replica_migrations(reports)
    return list(reports.values())


def _diagnose_alias(handler: ConnectionHandler, alias: str, create_missing: bool) -> AliasReport:
    config = handler.settings[alias]
    engine = config["ENGINE"].rsplit(".", 1)[-1]
    role = expected_role(alias)
    original = _duplicate_of(handler.settings, alias)
    if original is not None:
        return AliasReport(
            alias, role, engine, f"same database as '{original}'", reachable=True, notes=["not checked twice"]
        )
    if engine == "mysql":
        return _diagnose_mysql(handler, alias, role, create_missing)
    if engine == "sqlite3":
        return _diagnose_sqlite(handler, alias, role)
    report = AliasReport(alias, role, engine, str(config.get("NAME")))
    _connect(handler, report, None)
    return report


def _duplicate_of(databases: dict[str, dict], alias: str) -> str | None:
    """The primary or auth alias that ``alias`` merely renames (``default``), if any."""
    if alias in routing_settings.data_aliases or alias == routing_settings.auth_db:
        return None  # a routed alias is always checked (a test mirror looks like a duplicate)
    for other in (routing_settings.primary, routing_settings.auth_db):
        if other != alias and other in databases and same_database(databases[alias], databases[other]):
            return other
    return None


# Connecting ---------------------------------------------------------------------


def _connect(handler: ConnectionHandler, report: AliasReport, target: Target | None) -> bool:
    try:
        handler[report.alias].ensure_connection()
    except ImproperlyConfigured as error:
        report.findings.append(driver_missing(str(error)))
        return False
    except DatabaseError as error:
        code = error.args[0] if error.args and isinstance(error.args[0], int) else 0
        message = str(error.args[1]) if len(error.args) > 1 else str(error)
        if target is None:
            report.findings.append(Finding(str(code or "error"), message, "Check the database's settings."))
        else:
            report.findings.append(explain_connection_error(code, message, target))
            report.database_present = False if code == 1049 else None
        return False
    report.reachable = True
    return True


# MySQL / MariaDB ------------------------------------------------------------------


def _mysql_target(alias: str, config: dict) -> Target:
    options = config.get("OPTIONS", {})
    host = config.get("HOST") or "localhost"
    if options.get("unix_socket"):
        host = f"{host} (socket {options['unix_socket']})"
    return Target(
        alias=alias,
        host=host,
        port=str(config.get("PORT") or 3306),
        user=config.get("USER") or "",
        database=config.get("NAME") or "",
        url_variable=url_variable(alias),
        socket=options.get("unix_socket") or "",
    )


def _diagnose_mysql(handler: ConnectionHandler, alias: str, role: str, create_missing: bool) -> AliasReport:
    config = handler.settings[alias]
    target = _mysql_target(alias, config)
    report = AliasReport(alias, role, "mysql", str(target), database=target.database)
    if not _connect(handler, report, target):
        if report.database_present is False and create_missing and alias in migration_aliases():
            _create_database(handler, alias, report)
            if report.database_present:
                report.findings.clear()
                _connect(handler, report, target)
        if not report.reachable:
            return report
    with handler[alias].cursor() as cursor:
        _read_server(cursor, report)
        account = _current_account(cursor)
        _read_replication(cursor, report, account)
        _read_schema(cursor, report)
        if role == "replica":
            _check_privileges(cursor, report, target, account)
    _check_role(report)
    _read_migrations(handler, alias, report)
    return report


def _create_database(handler: ConnectionHandler, alias: str, report: AliasReport) -> None:
    connection = handler[alias]
    params = connection.get_connection_params()
    params.pop("database", None)
    params.pop("db", None)
    try:
        raw = connection.get_new_connection(params)
    except Exception as error:
        report.notes.append(f"could not connect without a database to create it: {error}")
        return
    try:
        with raw.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS `{report.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    except Exception as error:
        report.notes.append(f"could not create database '{report.database}': {error}")
    else:
        report.database_present = True
        report.notes.append(f"created database '{report.database}' (utf8mb4)")
    finally:
        raw.close()


def _read_server(cursor, report: AliasReport) -> None:
    cursor.execute("SELECT VERSION(), @@read_only")
    version, read_only = cursor.fetchone()
    report.server = f"MariaDB {version.split('-')[0]}" if "mariadb" in version.lower() else f"MySQL {version}"
    report.read_only = bool(int(read_only))
    try:
        cursor.execute("SELECT @@gtid_current_pos")  # MariaDB
    except DatabaseError:
        cursor.execute("SELECT @@gtid_executed")  # MySQL
    report.gtid = (cursor.fetchone()[0] or "").replace("\n", "")


def _current_account(cursor) -> str:
    """The account the server matched for this login, quoted for a GRANT: 'app'@'127.0.0.1'."""
    cursor.execute("SELECT CURRENT_USER()")
    user, _, host = cursor.fetchone()[0].rpartition("@")
    return f"'{user}'@'{host}'"


def _read_replication(cursor, report: AliasReport, account: str) -> None:
    try:
        status = replica_status(cursor)
    except DatabaseError as error:
        if report.role == "replica":
            privilege = "SLAVE MONITOR" if report.server.startswith("MariaDB") else "REPLICATION CLIENT"
            report.findings.append(
                Finding(
                    "replication-invisible",
                    f"Cannot read replication state: {error}",
                    f"Let the application user see it (it grants no writes): GRANT {privilege} ON *.* TO {account};",
                )
            )
        return
    report.replicating = status is not None
    if status is None:
        return
    io_running, sql_running = threads(status)
    report.replication_threads = f"IO {io_running}, SQL {sql_running}"
    report.lag_seconds = lag_seconds(status)
    if io_running != "Yes" or sql_running != "Yes":
        report.findings.append(replication_stopped(io_running, sql_running, last_error(status)))


def _read_schema(cursor, report: AliasReport) -> None:
    cursor.execute(
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME = DATABASE()"
    )
    row = cursor.fetchone()
    report.database_present = row is not None
    if row is None:
        return
    report.charset, report.collation = row
    if report.charset != "utf8mb4":
        report.findings.append(
            Finding(
                "charset",
                f"Database '{report.database}' uses {report.charset}, which cannot store every character (emoji).",
                f"ALTER DATABASE `{report.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
                "(existing tables need ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4)",
            )
        )


def _check_privileges(cursor, report: AliasReport, target: Target, account: str) -> None:
    cursor.execute("SHOW GRANTS")
    found = sorted({privilege for (grant,) in cursor.fetchall() for privilege in global_bypass_privileges(grant)})
    if found:
        report.findings.append(
            Finding(
                "privileged-user",
                f"'{target.user}' has {', '.join(found)} on *.*: read_only does not stop it, so this replica "
                "would accept its writes and drift from the primary.",
                f"Give the application a user without them: REVOKE {', '.join(found)} ON *.* FROM {account};",
            )
        )


def global_bypass_privileges(grant: str) -> list[str]:
    """The privileges in one SHOW GRANTS line that let an account write on a read_only server."""
    match = _GRANT.match(grant.strip())
    if match is None or match["scope"].replace("`", "") != "*.*":
        return []
    privileges = [privilege.strip().upper() for privilege in match["privileges"].split(",")]
    return [privilege for privilege in privileges if privilege in _BYPASS_READ_ONLY]


def _check_role(report: AliasReport) -> None:
    if report.role == "replica":
        if report.replicating is False:
            report.findings.append(
                Finding(
                    "not-a-replica",
                    "This server replicates from nowhere: reads here will not see the primary's writes.",
                    "Point the alias at a replica, or set up replication (CHANGE MASTER TO ...; START SLAVE;).",
                )
            )
        if report.read_only is False:
            report.findings.append(
                Finding(
                    "replica-writable",
                    "read_only is OFF: a write sent here by mistake would succeed and the replica would drift.",
                    "SET GLOBAL read_only = ON; and start the server with --read-only (read_only=1 in my.cnf).",
                )
            )
        limit = routing_settings.max_replica_lag
        if report.lag_seconds is not None and report.lag_seconds > limit:
            report.findings.append(
                Finding(
                    "lagging",
                    f"The replica is {report.lag_seconds:.0f} s behind the primary (limit {limit:.0f} s).",
                    "Look for long-running statements on the replica, or a MASTER_DELAY "
                    "(SHOW SLAVE STATUS: SQL_Delay).",
                )
            )
    elif report.role in {"primary", "auth"}:
        if report.read_only:
            report.findings.append(
                Finding(
                    "primary-read-only",
                    "read_only is ON: every write will fail with error 1290. Does this alias point at a replica?",
                    f"Point {url_variable(report.alias)} at the primary server.",
                )
            )
        if report.replicating:
            report.findings.append(
                Finding(
                    "primary-is-replica",
                    "This server replicates from another: writes here would make it diverge.",
                    f"Point {url_variable(report.alias)} at the primary server.",
                )
            )


# SQLite -------------------------------------------------------------------------------


def _sqlite_path(name: str) -> tuple[Path, bool]:
    """The file behind a SQLite NAME (a path or a file: URI), and whether it opens read-only."""
    if name.startswith("file:"):
        parsed = urlparse(name)
        return Path(unquote(parsed.path)), "mode=ro" in parsed.query
    return Path(name), False


def _diagnose_sqlite(handler: ConnectionHandler, alias: str, role: str) -> AliasReport:
    config = handler.settings[alias]
    path, read_only_uri = _sqlite_path(str(config["NAME"]))
    report = AliasReport(alias, role, "sqlite", str(path), database=path.name)
    report.database_present = path.exists()
    if not report.database_present:
        report.findings.append(
            Finding(
                "missing-file",
                f"{path} does not exist yet.",
                "Create and migrate it: python manage.py migrate (make run does).",
            )
        )
        return report
    if not _connect(handler, report, None):
        return report
    with handler[alias].cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        report.server = f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("PRAGMA query_only")
        report.read_only = read_only_uri or bool(cursor.fetchone()[0])
    report.replicating = role == "replica"
    if role == "replica":
        report.notes.append("a read-only view of the primary's file")
        if not report.read_only:
            report.findings.append(
                Finding(
                    "replica-writable",
                    "This replica connection can write.",
                    "Open it read-only: NAME='file:/path/to/primary.sqlite3?mode=ro'.",
                )
            )
    _read_migrations(handler, alias, report)
    return report


# Migrations ---------------------------------------------------------------------------


def _read_migrations(handler: ConnectionHandler, alias: str, report: AliasReport) -> None:
    connection = handler[alias]
    try:
        recorder = MigrationRecorder(connection)
        applied = len(recorder.applied_migrations()) if recorder.has_table() else 0
        report.applied_migrations = applied
        if alias not in migration_aliases():
            report.migrations = f"{applied} recorded (received from the primary)"
            return
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        report.migrations = f"unknown ({error})"
        return
    if pending:
        report.migrations = f"{len(pending)} not applied"
        report.findings.append(
            Finding(
                "migrations",
                f"{len(pending)} migrations are not applied on '{alias}'.",
                "Run: python manage.py migrate",
            )
        )
    else:
        report.migrations = f"all applied ({applied})"


def _compare_replica_migrations(reports: dict[str, AliasReport]) -> None:
    primary = reports.get(routing_settings.primary)
    if primary is None or primary.applied_migrations is None:
        return
    for replica in routing_settings.replicas:
        report = reports.get(replica)
        if report is None or report.applied_migrations is None or report.engine != "mysql":
            continue
        missing = primary.applied_migrations - report.applied_migrations
        if missing > 0:
            report.findings.append(
                Finding(
                    "replica-behind",
                    f"The replica has {missing} fewer migrations than the primary: replication is behind or broken.",
                    "Check SHOW SLAVE STATUS on the replica; schema reaches replicas only by replication.",
                )
            )
