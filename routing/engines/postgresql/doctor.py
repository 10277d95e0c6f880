"""The doctor's checks on a PostgreSQL server: version, recovery, WAL position, encoding."""

from __future__ import annotations

from routing.diagnosis import AliasReport, Finding


def read_server(cursor, report: AliasReport) -> bool:
    """Version, role and position; whether the server is a standby (in recovery)."""
    cursor.execute(
        "SELECT current_setting('server_version'), pg_is_in_recovery(), "
        "current_setting('default_transaction_read_only') = 'on'"
    )
    version, in_recovery, read_only_default = cursor.fetchone()
    report.server = f"PostgreSQL {version.split()[0]}"
    report.read_only = bool(in_recovery or read_only_default)
    cursor.execute(
        "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text"
    )
    report.gtid = cursor.fetchone()[0] or ""
    return bool(in_recovery)


def read_database(cursor, report: AliasReport) -> None:
    cursor.execute(
        "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database WHERE datname = current_database()"
    )
    report.charset, report.collation = cursor.fetchone()
    report.database_present = True
    if report.charset != "UTF8":
        report.findings.append(
            Finding(
                "encoding",
                f"Database '{report.database}' uses {report.charset}, which cannot store every character.",
                "Recreate it in UTF8 and load the data again: "
                f"CREATE DATABASE \"{report.database}\" ENCODING 'UTF8' TEMPLATE template0;",
            )
        )


def create_database(handler, report: AliasReport) -> None:
    """CREATE DATABASE in UTF8, connected to the server's maintenance database."""
    from psycopg import sql

    connection = handler[report.alias]
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    try:
        raw = connection.get_new_connection(params)
    except Exception as error:
        report.notes.append(f"could not connect to the 'postgres' database to create it: {error}")
        return
    try:
        raw.autocommit = True  # CREATE DATABASE cannot run in a transaction
        with raw.cursor() as cursor:
            cursor.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(report.database))
            )
    except Exception as error:
        report.notes.append(f"could not create database '{report.database}': {error}")
    else:
        report.database_present = True
        report.notes.append(f"created database '{report.database}' (UTF8)")
    finally:
        raw.close()
