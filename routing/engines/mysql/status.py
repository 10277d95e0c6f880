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
