"""PostgreSQL: streaming hot standbys, WAL positions (LSNs), pg_stat_wal_receiver.

Lag has two measures. By time, the age of the newest commit a standby has
replayed, which stands still while the primary is idle; so a standby that has
replayed all the WAL it received counts as 0 s behind, and the verdict asks for
lag in bytes as well (``routing.engines.base.judge``). A deliberate
``recovery_min_apply_delay`` is reported as delay and not counted as lag.
"""

from __future__ import annotations

import math

from django.db import DatabaseError

from routing.diagnosis import AliasReport, Target
from routing.engines.base import UNREAD, ConnectError, Engine, Features, Positions, ReplicaStatus
from routing.engines.postgresql import doctor
from routing.engines.postgresql.errors import EXPLANATIONS, client_address
from routing.engines.postgresql.positions import WAL_POSITION

# SQLSTATE classes and codes that mean the server went away: connection
# exceptions (08...), and shutdowns (57P01 admin shutdown, 57P02 crash, 57P03 cannot connect now).
_DISCONNECT_CLASSES = ("08",)
_DISCONNECT_CODES = {"57P01", "57P02", "57P03"}
_DISCONNECT_MESSAGES = (
    "server closed the connection",
    "connection is closed",
    "connection already closed",
    "could not receive data from server",
    "could not send data to server",
    "terminating connection",
    "Connection refused",
    "consuming input failed",
    "the connection is lost",
)
_REPLICATION = """
SELECT r.pid IS NOT NULL, r.status,
       pg_last_wal_replay_lsn()::text,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint,
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8,
       pg_is_wal_replay_paused(),
       EXTRACT(EPOCH FROM current_setting('recovery_min_apply_delay')::interval)::float8
FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver AS r ON true
"""


class PostgreSQL(Engine):
    vendor = "postgresql"
    display_name = "PostgreSQL"
    # A standby refuses every write itself (SQLSTATE 25006), superusers' too.
    features = Features(replicas_refuse_all_writes=True)
    explanations = EXPLANATIONS
    replica_advice = {
        "replication-stopped": (
            "WAL replay is paused on this standby ({state}): it receives changes but does not apply them.",
            "Resume it, as a superuser on the standby: SELECT pg_wal_replay_resume();",
        ),
        "not-receiving": (
            "The standby is not receiving WAL from the primary ({state}). {receive_error}",
            "Check that the primary is up and that the standby's primary_conninfo reaches it (host, port, "
            "replication user, password, replication slot); the standby's server log names the error.",
        ),
        "lagging": (
            "The standby is {lag} s behind the primary (limit {limit} s).",
            "Look for long-running queries on the standby that hold replay back (pg_stat_activity), or I/O "
            "limits; a deliberate recovery_min_apply_delay shows as delay ({delay} s), not as lag.",
        ),
        "not-a-replica": (
            "This server is not a standby (pg_is_in_recovery() is false): reads here will not see the "
            "primary's writes, and it accepts writes of its own.",
            "Point the alias at a standby, or make this server one (pg_basebackup -R from the primary).",
        ),
    }
    role_advice = {
        "primary-read-only": (
            "This server refuses writes (a standby, or default_transaction_read_only = on). "
            "Does this alias point at a standby?",
            "Point {url_variable} at the primary server (or, with several hosts, add "
            "target_session_attrs=read-write to it).",
        ),
        "primary-is-replica": (
            "This server is a standby (in recovery): writes here fail with SQLSTATE 25006.",
            "Point {url_variable} at the primary server.",
        ),
    }

    driver_hint = "pip install 'psycopg[binary]' (requirements.txt names the version; no compiler needed)."

    def doctor_options(self, timeout: int) -> dict:
        return {"connect_timeout": max(2, timeout)}

    def probe_params(self, params: dict, timeout: float) -> dict:
        # libpq's connect_timeout is whole seconds, and at least 2 (it treats 1 as 2).
        milliseconds = max(1, round(timeout * 1000))
        options = f"{params.get('options', '')} -c statement_timeout={milliseconds}".strip()
        return {**params, "connect_timeout": max(2, math.ceil(timeout)), "options": options}

    def private_connection(self, wrapper, params: dict):
        # With OPTIONS["pool"], Django's get_new_connection() takes a connection
        # from the alias's pool, without the probe's timeouts, and a probe's
        # close() would then lose it from the pool for good.
        if wrapper.settings_dict["OPTIONS"].get("pool"):
            return wrapper.Database.connect(**params)
        return wrapper.get_new_connection(params)

    def is_disconnect(self, error: Exception) -> bool:
        cause = error.__cause__ or error
        sqlstate = getattr(cause, "sqlstate", None) or ""
        if sqlstate.startswith(_DISCONNECT_CLASSES) or sqlstate in _DISCONNECT_CODES:
            return True
        return any(marker in str(cause) for marker in _DISCONNECT_MESSAGES)

    def connect_error(self, error: Exception) -> ConnectError:
        cause = error.__cause__ or error
        return ConnectError(getattr(cause, "sqlstate", None) or "", " ".join(str(cause).split()))

    def explanation_extras(self, error: ConnectError, target: Target) -> dict[str, str]:
        return {"client_address": client_address(error)}

    def replica_status(self, cursor) -> ReplicaStatus | None:
        cursor.execute("SELECT pg_is_in_recovery()")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(_REPLICATION)
        receiver_running, receiver_state, replayed, pending, since_replay, paused, delay = cursor.fetchone()
        # Without pg_read_all_stats (pg_monitor) the state is hidden: a running receiver counts as streaming.
        receiving = receiver_running and receiver_state in {None, "streaming"}
        words = receiver_state or ("running" if receiver_running else "stopped")
        return ReplicaStatus(
            receiving=bool(receiving),
            applying=not paused,
            state=f"WAL receiver {words}, replay {'paused' if paused else 'running'}",
            lag_seconds=_lag_seconds(receiving, pending, since_replay, delay or 0.0),
            lag_bytes=None if pending is None else max(0, int(pending)),
            delay_seconds=float(delay or 0.0),
            last_error="WAL replay is paused (pg_wal_replay_pause())" if paused else "",
            receive_error="" if receiving else _why_not_receiving(cursor),
            applied=replayed or "",
        )

    def primary_position(self, cursor) -> str:
        cursor.execute(
            "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text"
        )
        return cursor.fetchone()[0] or ""

    def positions(self, connection) -> Positions:
        return WAL_POSITION

    def target(self, alias: str, config: dict, url_variable: str) -> Target:
        return Target(
            alias=alias,
            host=str(config.get("HOST") or "localhost"),
            port=str(config.get("PORT") or config.get("OPTIONS", {}).get("port") or 5432),
            user=str(config.get("USER") or ""),
            database=str(config.get("NAME") or ""),
            url_variable=url_variable,
        )

    def create_database(self, handler, report: AliasReport) -> None:
        doctor.create_database(handler, report)

    def diagnose(self, handler, report: AliasReport, target: Target, create_missing: bool):
        if not self.open_or_create(handler, report, target, create_missing):
            return UNREAD
        with handler[report.alias].cursor() as cursor:
            doctor.read_server(cursor, report)
            doctor.read_database(cursor, report)
            try:
                return self.replica_status(cursor)
            except DatabaseError as error:
                report.notes.append(f"cannot read the replication state: {error}")
                return UNREAD


def _why_not_receiving(cursor) -> str:
    """What can be told of a stopped WAL receiver: where it tries to connect, and whether anything listens there.

    PostgreSQL keeps the receiver's last error in the standby's log only; its
    target (primary_conninfo, readable with pg_read_all_settings) is the usual
    culprit. The password in it is never shown.
    """
    cursor.execute("SELECT setting FROM pg_settings WHERE name = 'primary_conninfo'")
    row = cursor.fetchone()
    if row is None or not row[0]:
        return "No WAL receiver is streaming from the primary (the standby's server log says why)."
    from psycopg.conninfo import conninfo_to_dict

    try:
        target = conninfo_to_dict(row[0])
    except Exception:  # an unparsable conninfo is itself the cause
        return "No WAL receiver is streaming, and primary_conninfo cannot be parsed."
    host, port = str(target.get("host", "localhost")), str(target.get("port", "5432"))
    return f"No WAL receiver is streaming from the primary; primary_conninfo names host={host} port={port}."


def _lag_seconds(receiving: bool, pending: int | None, since_replay: float | None, delay: float) -> float | None:
    """Seconds behind, the deliberate delay not counted; None when it cannot be told."""
    if not receiving:
        return None  # how far the primary has moved on is unknown
    if pending is not None and pending <= 0:
        return 0.0  # everything received is replayed: an idle primary is not lag
    if since_replay is None:
        return None
    return max(0.0, since_replay - delay)


ENGINE = PostgreSQL()
POSITIONS = (WAL_POSITION,)
