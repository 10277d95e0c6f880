"""WAL positions (LSNs): where a commit ends on the primary, and whether a standby has replayed it.

PostgreSQL 15 to 18 have no server-side wait for an LSN (``WAIT FOR LSN``
arrives in 19), so a read that must see a write polls the standby with a short
sleep, bounded by the causal timeout; the caller falls back to the primary.
"""

from __future__ import annotations

import re
import time

from routing.engines.base import Positions

_LSN = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")


def lsn_value(lsn: str) -> int:
    """'16/B374D848' -> the byte position it names."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


class WalPosition(Positions):
    name = "postgresql-lsn"
    # Injectable, so tests can wait without sleeping (as DRF's throttles take a timer).
    clock = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)
    FIRST_PAUSE_SECONDS = 0.005
    LONGEST_PAUSE_SECONDS = 0.05

    def after_commit(self, connection) -> str | None:
        # The insert position, read on the committing connection after COMMIT
        # returned: the write position can trail it with synchronous_commit=off.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            return cursor.fetchone()[0]

    def is_valid(self, position: str) -> bool:
        return bool(_LSN.match(position))

    def reached(self, connection, position: str, timeout: float) -> bool:
        deadline = self.clock() + timeout
        pause = self.FIRST_PAUSE_SECONDS
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position])
                if cursor.fetchone()[0]:  # NULL on a server that is not a standby: never reached
                    return True
                remaining = deadline - self.clock()
                if remaining <= 0:
                    return False
                self.sleep(min(pause, remaining))
                pause = min(pause * 2, self.LONGEST_PAUSE_SECONDS)

    def covers(self, applied: str, position: str) -> bool:
        return self.is_valid(applied) and self.is_valid(position) and lsn_value(applied) >= lsn_value(position)


WAL_POSITION = WalPosition()
