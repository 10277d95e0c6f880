"""Which replicas may serve reads: reachable, replicating, not lagging.

One registry per process. A replica's verdict is cached for
``ROUTING_HEALTH_INTERVAL`` seconds; the request that finds it stale checks it
(on a connection of its own, with ``ROUTING_HEALTH_TIMEOUT``), so at most one
request per interval pays a round trip, never every request. A replica that
fails a check, or a connection during a request, leaves the pick for
``ROUTING_COOLDOWN`` seconds and is then tried again.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from django.db import DatabaseError, connections

from routing.conf import routing_settings
from routing.replication import MARIADB, MYSQL, lag_seconds, last_error, replica_status, threads


@dataclass
class ReplicaHealth:
    alias: str
    checked_at: float = 0.0  # time.monotonic() of the last verdict; 0 = never checked
    reachable: bool | None = None
    replicating: bool | None = None
    lag_seconds: float | None = None
    delay_seconds: float = 0.0  # a deliberate MASTER_DELAY
    applied: str = ""  # replication position the replica has applied
    excluded_until: float = 0.0
    reason: str = ""  # why it is out of the pick; empty when healthy
    checking: bool = field(default=False, repr=False)

    @property
    def healthy(self) -> bool:
        return not self.reason

    def cooling_down(self, now: float) -> bool:
        return now < self.excluded_until


class HealthRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, ReplicaHealth] = {}
        # (valid until, settings generation, replicas): the answer of pickable()
        # until a verdict can change. Every request asks; few need to recompute.
        self._pick: tuple[float, int, tuple[str, ...]] | None = None

    def reset(self) -> None:
        with self._lock:
            self._states.clear()
            self._pick = None

    def state(self, alias: str) -> ReplicaHealth:
        state = self._states.get(alias)  # the common case: no lock needed to read
        if state is None:
            with self._lock:
                state = self._states.setdefault(alias, ReplicaHealth(alias))
        return state

    def pickable(self) -> tuple[str, ...]:
        """The replicas that may serve a read now; stale verdicts are refreshed first."""
        now = time.monotonic()
        cached = self._pick
        if cached is not None and now < cached[0] and cached[1] == routing_settings.generation:
            return cached[2]
        interval = routing_settings.health_interval
        result = []
        valid_until = now + interval
        for alias in routing_settings.replicas:
            state = self.state(alias)
            if state.cooling_down(now):
                valid_until = min(valid_until, state.excluded_until)
                continue
            # Stale, or unhealthy with its cooldown over: time for a fresh verdict.
            stale = now - state.checked_at >= interval or not state.healthy
            if stale and self._claim(state):
                self._check(state)
            if state.healthy:
                result.append(alias)
                valid_until = min(valid_until, state.checked_at + interval)
            else:
                valid_until = min(valid_until, state.excluded_until)
        self._pick = (valid_until, routing_settings.generation, tuple(result))
        return self._pick[2]

    def check_all(self) -> list[ReplicaHealth]:
        """Check every replica now (the health endpoint)."""
        states = [self.state(alias) for alias in routing_settings.replicas]
        for state in states:
            if self._claim(state):
                self._check(state)
        self._pick = None
        return states

    def primary_reachable(self) -> bool:
        """Whether the primary answered its last check (refreshed like a replica's)."""
        state = self.state(routing_settings.primary)
        if time.monotonic() - state.checked_at >= routing_settings.health_interval and self._claim(state):
            try:
                state.reachable = probe_writable(state.alias)["reachable"]
            finally:
                state.checked_at = time.monotonic()
                state.checking = False
        return bool(state.reachable)

    def mark_failed(self, alias: str, error: object) -> None:
        """A request could not use ``alias``: leave it out for the cooldown."""
        state = self.state(alias)
        now = time.monotonic()
        state.reachable = False
        _forget_measurements(state)
        state.reason = f"connection failed during a request: {_one_line(error)}"
        state.checked_at = now
        state.excluded_until = now + routing_settings.cooldown
        self._pick = None

    def _claim(self, state: ReplicaHealth) -> bool:
        # One thread checks a replica at a time; the others keep the last verdict.
        with self._lock:
            if state.checking:
                return False
            state.checking = True
            return True

    def _check(self, state: ReplicaHealth) -> None:
        try:
            probe(state)
            if state.reason.startswith(_NOT_RECEIVING) and not self.primary_reachable():
                # The primary is down: no newer data exists anywhere, so this
                # replica's copy is the freshest there is. Keep serving it.
                state.reason = ""
        finally:
            now = time.monotonic()
            state.checked_at = now
            state.excluded_until = now + routing_settings.cooldown if state.reason else 0.0
            state.checking = False


registry = HealthRegistry()


def probe(state: ReplicaHealth) -> None:
    """Fill ``state`` from a fresh connection to the replica; never raises."""
    wrapper = connections[state.alias]
    params = wrapper.get_connection_params()
    if wrapper.vendor == "mysql":
        timeout = max(1, math.ceil(routing_settings.health_timeout))
        params.update(connect_timeout=timeout, read_timeout=timeout)
    elif wrapper.vendor == "sqlite":
        params["timeout"] = routing_settings.health_timeout
    _forget_measurements(state)
    try:
        raw = wrapper.get_new_connection(params)
    except Exception as error:  # any driver's failure to connect
        state.reachable = False
        state.reason = f"unreachable: {_one_line(error)}"
        return
    try:
        with wrapper.wrap_database_errors:
            cursor = raw.cursor()
            try:
                _read_replica(wrapper, cursor, state)
            finally:
                cursor.close()
    except DatabaseError as error:
        state.reason = f"health check failed: {_one_line(error)}"
    finally:
        raw.close()


def _forget_measurements(state: ReplicaHealth) -> None:
    """Unknown until measured again: a replica that cannot be reached has no lag, only an unknown one."""
    state.replicating = None
    state.lag_seconds = None
    state.applied = ""


def _read_replica(wrapper, cursor, state: ReplicaHealth) -> None:
    state.reachable = True
    if wrapper.vendor != "mysql":
        # SQLite replicas read the primary's own file: nothing to lag behind.
        cursor.execute("SELECT 1")
        state.replicating, state.lag_seconds, state.reason = True, 0.0, ""
        return
    status = replica_status(cursor)
    if status is None:
        state.replicating, state.reason = False, "not a replica: it replicates from nowhere"
        return
    io_running, sql_running = threads(status)
    state.replicating = io_running == "Yes" and sql_running == "Yes"
    state.lag_seconds = lag_seconds(status)
    state.delay_seconds = float(status.get("SQL_Delay") or 0)
    cursor.execute("SELECT VERSION()")
    scheme = MARIADB if "mariadb" in cursor.fetchone()[0].lower() else MYSQL
    state.applied = scheme.applied(cursor)
    limit = routing_settings.max_replica_lag
    if sql_running != "Yes":
        error = last_error(status) or "stopped"
        state.reason = f"replication stopped (IO {io_running}, SQL {sql_running}): {_one_line(error)}"
    elif io_running != "Yes":
        error = status.get("Last_IO_Error") or "not connected"
        state.reason = f"{_NOT_RECEIVING} (IO {io_running}): {_one_line(error)}"
    elif state.lag_seconds is not None and state.lag_seconds > limit:
        state.reason = f"lag {state.lag_seconds:.0f} s is over the {limit:g} s limit"
    else:
        state.reason = ""


def _one_line(error: object) -> str:
    return " ".join(str(error).split())[:300]


_NOT_RECEIVING = "not receiving changes from the primary"


# Client errors that mean the server went away, not that the query was wrong.
_MYSQL_DISCONNECTS = {2002, 2003, 2006, 2013, 2055}
_SQLITE_DISCONNECTS = ("unable to open database file", "disk I/O error")


def is_disconnect(wrapper, error: DatabaseError) -> bool:
    if wrapper.vendor == "mysql":
        return bool(error.args) and error.args[0] in _MYSQL_DISCONNECTS
    return any(marker in str(error) for marker in _SQLITE_DISCONNECTS)


# The health endpoint's view of every alias ------------------------------------------


def probe_writable(alias: str) -> dict:
    """Reachability and replication position of the primary (or the auth database)."""
    wrapper = connections[alias]
    params = wrapper.get_connection_params()
    if wrapper.vendor == "mysql":
        timeout = max(1, math.ceil(routing_settings.health_timeout))
        params.update(connect_timeout=timeout, read_timeout=timeout)
    try:
        raw = wrapper.get_new_connection(params)
    except Exception as error:  # any driver's failure to connect
        return {"reachable": False, "position": "", "reason": f"unreachable: {_one_line(error)}"}
    try:
        with wrapper.wrap_database_errors:
            cursor = raw.cursor()
            try:
                position = _binlog_position(wrapper, cursor)
            finally:
                cursor.close()
    except DatabaseError as error:
        return {"reachable": False, "position": "", "reason": f"health check failed: {_one_line(error)}"}
    finally:
        raw.close()
    return {"reachable": True, "position": position, "reason": ""}


def _binlog_position(wrapper, cursor) -> str:
    if wrapper.vendor != "mysql":
        cursor.execute("SELECT 1")
        return ""
    cursor.execute("SELECT VERSION()")
    if "mariadb" in cursor.fetchone()[0].lower():
        cursor.execute("SELECT @@gtid_binlog_pos")
    else:
        cursor.execute("SELECT @@GLOBAL.gtid_executed")
    return (cursor.fetchone()[0] or "").replace("\n", "")


def snapshot() -> dict:
    """Every alias, checked now: what /api/health/ answers."""
    now = time.monotonic()
    primary = {"alias": routing_settings.primary, "role": "primary", **probe_writable(routing_settings.primary)}
    aliases = [primary]
    for state in registry.check_all():
        aliases.append(
            {
                "alias": state.alias,
                "role": "replica",
                "reachable": bool(state.reachable),
                "lag_seconds": state.lag_seconds,
                "delay_seconds": state.delay_seconds,
                "position": state.applied,
                "in_pick": state.healthy and not state.cooling_down(now),
                "reason": state.reason,
                "excluded_for_seconds": round(max(0.0, state.excluded_until - now), 1),
            }
        )
    auth = routing_settings.auth_db
    if auth != routing_settings.primary:
        aliases.append({"alias": auth, "role": "auth", **probe_writable(auth)})
    return {"primary_reachable": primary["reachable"], "aliases": aliases}
