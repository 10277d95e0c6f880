"""The doctor's checks on a MySQL or MariaDB server: version, read_only, GTIDs, grants, charset."""

from __future__ import annotations

import re

from django.db import DatabaseError

from routing.diagnosis import AliasReport, Finding, Target

# Global privileges that let an account write on a read_only server.
_BYPASS_READ_ONLY = ("SUPER", "READ ONLY ADMIN", "ALL PRIVILEGES", "CONNECTION_ADMIN", "SYSTEM_VARIABLES_ADMIN")
_GRANT = re.compile(r"^GRANT (?P<privileges>.+?) ON (?P<scope>\S+) TO ", re.IGNORECASE)


def read_server(cursor, report: AliasReport) -> None:
    cursor.execute("SELECT VERSION(), @@read_only")
    version, read_only = cursor.fetchone()
    report.server = server_name(version)
    report.read_only = bool(int(read_only))
    mariadb = report.server.startswith("MariaDB")
    cursor.execute("SELECT @@gtid_current_pos" if mariadb else "SELECT @@GLOBAL.gtid_executed")
    report.gtid = (cursor.fetchone()[0] or "").replace("\n", "")


def server_name(version: str) -> str:
    number = version.split("-")[0]
    return f"MariaDB {number}" if "mariadb" in version.lower() else f"MySQL {number}"


def current_account(cursor) -> str:
    """The account the server matched for this login, quoted for a GRANT: 'app'@'127.0.0.1'."""
    cursor.execute("SELECT CURRENT_USER()")
    user, _, host = cursor.fetchone()[0].rpartition("@")
    return f"'{user}'@'{host}'"


def replication_invisible(report: AliasReport, error: DatabaseError, account: str) -> Finding:
    privilege = "SLAVE MONITOR" if report.server.startswith("MariaDB") else "REPLICATION CLIENT"
    return Finding(
        "replication-invisible",
        f"Cannot read replication state: {error}",
        f"Let the application user see it (it grants no writes): GRANT {privilege} ON *.* TO {account};",
    )


def read_schema(cursor, report: AliasReport) -> None:
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


def check_privileges(cursor, report: AliasReport, target: Target, account: str) -> None:
    if _super_read_only(cursor, report):
        return  # MySQL's super_read_only refuses writes from every account
    cursor.execute("SHOW GRANTS")
    found = sorted({privilege for (grant,) in cursor.fetchall() for privilege in global_bypass_privileges(grant)})
    if found:
        also = "" if report.server.startswith("MariaDB") else " Or bind them too: SET GLOBAL super_read_only = ON;"
        report.findings.append(
            Finding(
                "privileged-user",
                f"'{target.user}' has {', '.join(found)} on *.*: read_only does not stop it, so this replica "
                "would accept its writes and drift from the primary.",
                f"Give the application a user without them: REVOKE {', '.join(found)} ON *.* FROM {account};" + also,
            )
        )


def _super_read_only(cursor, report: AliasReport) -> bool:
    if report.server.startswith("MariaDB"):
        return False  # MariaDB has no super_read_only; READ ONLY ADMIN is its bypass
    cursor.execute("SELECT @@GLOBAL.super_read_only")
    return bool(int(cursor.fetchone()[0]))


def global_bypass_privileges(grant: str) -> list[str]:
    """The privileges in one SHOW GRANTS line that let an account write on a read_only server."""
    match = _GRANT.match(grant.strip())
    if match is None or match["scope"].replace("`", "") != "*.*":
        return []
    privileges = [privilege.strip().upper() for privilege in match["privileges"].split(",")]
    return [privilege for privilege in privileges if privilege in _BYPASS_READ_ONLY]


def create_database(handler, report: AliasReport) -> None:
    connection = handler[report.alias]
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
