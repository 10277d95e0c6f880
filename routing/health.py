"""Which replicas may serve reads: reachable, replicating, not lagging.

One registry per process. A replica's verdict is cached for
``ROUTING_HEALTH_INTERVAL`` seconds; the request that finds it stale checks it
(on a connection of its own, with ``ROUTING_HEALTH_TIMEOUT``; routing.probes),
so at most one request per interval pays a round trip, never every request. A
replica that fails a check, or a connection during a request, leaves the pick
for ``ROUTING_COOLDOWN`` seconds and is then tried again. The verdict itself is
the one the doctor gives (routing.engines.base.judge).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from routing import metrics, probes
from routing.conf import routing_settings
from routing.engines.base import NOT_RECEIVING, ReplicaStatus, judge, one_line


@dataclass
class ReplicaHealth:
    alias: str
    checked_at: float = 0.0  # time.monotonic() of the last verdict; 0 = never checked
    reachable: bool | None = None
    replicating: bool | None = None
    lag_seconds: float | None = None
    lag_bytes: int | None = None
    delay_seconds: float = 0.0  # a deliberate apply delay
    applied: str = ""  # replication position the replica has applied
    excluded_until: float = 0.0
    reason: str = ""  # why it is out of the pick; empty when healthy
    checking: bool = field(default=False, repr=False)

    @property
    def healthy(self) -> bool:
        return not self.reason

    def cooling_down(self, now: float) -> bool:
        return now < self.excluded_until

    def forget_measurements(self) -> None:
        """Unknown until measured again: a replica that cannot be reached has no lag, only an unknown one."""
        self.replicating = None
        self.lag_seconds = self.lag_bytes = None
        self.applied = ""

    def record(self, status: ReplicaStatus | None) -> None:
        self.reachable = True
        if status is None:
            return
        self.replicating = status.receiving and status.applying
        self.lag_seconds, self.lag_bytes = status.lag_seconds, status.lag_bytes
        self.delay_seconds = status.delay_seconds
        self.applied = status.applied


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
                state.reachable = probes.writable(state.alias).reachable
            finally:
                state.checked_at = time.monotonic()
                state.checking = False
        return bool(state.reachable)

    def mark_failed(self, alias: str, error: object) -> None:
        """A request could not use ``alias``: leave it out for the cooldown."""
        state = self.state(alias)
        now = time.monotonic()
        state.reachable = False
        state.forget_measurements()
        state.reason = f"connection failed during a request: {one_line(error)}"
        state.checked_at = now
        state.excluded_until = now + routing_settings.cooldown
        self._pick = None
        if routing_settings.metrics_on:
            metrics.record_replica(state.alias, False, None)

    def _claim(self, state: ReplicaHealth) -> bool:
        # One thread checks a replica at a time; the others keep the last verdict.
        with self._lock:
            if state.checking:
                return False
            state.checking = True
            return True

    def _check(self, state: ReplicaHealth) -> None:
        try:
            state.reason = self._verdict(state)
            if state.reason.startswith(NOT_RECEIVING) and not self.primary_reachable():
                # The primary is down: no newer data exists anywhere, so this
                # replica's copy is the freshest there is. Keep serving it.
                state.reason = ""
        finally:
            now = time.monotonic()
            state.checked_at = now
            state.excluded_until = now + routing_settings.cooldown if state.reason else 0.0
            state.checking = False
            if routing_settings.metrics_on:
                metrics.record_replica(state.alias, state.healthy, state.lag_seconds)

    def _verdict(self, state: ReplicaHealth) -> str:
        """A fresh probe of ``state``'s replica, recorded in it: why it may not serve reads, or ""."""
        state.forget_measurements()
        try:
            status = probes.replica_status(state.alias)
        except probes.ProbeFailed as failure:
            state.reachable = not failure.reason.startswith("unreachable")
            return failure.reason
        state.record(status)
        return judge(status, routing_settings.max_replica_lag, routing_settings.max_replica_lag_bytes).reason


registry = HealthRegistry()
