"""SHOW REPLICA STATUS, under the column names of both MariaDB and MySQL."""

from __future__ import annotations

from django.db import DatabaseError

from routing.engines.base import ReplicaStatus


def read_status(cursor) -> dict | None:
    """SHOW REPLICA STATUS (MariaDB 10.5+, MySQL 8.0.22+), else its older name; None if not a replica."""
    try:
        cursor.execute("SHOW REPLICA STATUS")
    except DatabaseError:
        cursor.execute("SHOW SLAVE STATUS")
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip((column[0] for column in cursor.description), row, strict=True))


# MySQL's multi-threaded applier reports a failed transaction as the
# coordinator's error, which names this table instead of the cause.
_WORKER_TABLE = "performance_schema.replication_applier_status_by_worker"
_WORKER_ERROR = (
    "SELECT LAST_ERROR_MESSAGE FROM performance_schema.replication_applier_status_by_worker "
    "WHERE LAST_ERROR_NUMBER <> 0 ORDER BY LAST_ERROR_TIMESTAMP DESC LIMIT 1"
)


def worker_error(cursor, last_error: str) -> str:
    """The failed worker's own error (a duplicate key, say) where MySQL's coordinator only points to it.

    Reading the table needs SELECT on it; without that, the coordinator's message stays.
    """
    if _WORKER_TABLE not in last_error:
        return last_error
    try:
        cursor.execute(_WORKER_ERROR)
        row = cursor.fetchone()
    except DatabaseError:
        return last_error
    return row[0] if row and row[0] else last_error


def _column(status: dict, old: str, new: str):
    return status.get(old, status.get(new))


def replica_status(status: dict | None, applied: str) -> ReplicaStatus | None:
    if status is None:
        return None
    io_running = _column(status, "Slave_IO_Running", "Replica_IO_Running") or ""
    sql_running = _column(status, "Slave_SQL_Running", "Replica_SQL_Running") or ""
    lag = _column(status, "Seconds_Behind_Master", "Seconds_Behind_Source")
    return ReplicaStatus(
        receiving=io_running == "Yes",
        applying=sql_running == "Yes",
        state=f"IO {io_running}, SQL {sql_running}",
        detail=f"IO thread: {io_running}, SQL thread: {sql_running}",
        lag_seconds=None if lag is None else float(lag),
        delay_seconds=float(status.get("SQL_Delay") or 0),
        last_error=status.get("Last_SQL_Error") or status.get("Last_IO_Error") or "",
        receive_error=status.get("Last_IO_Error") or "",
        applied=applied,
    )
