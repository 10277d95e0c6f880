"""Counting events in a window, in Django's cache, so that every process sharing the cache counts together.

The write throttle and the login limits count with it. Each step is one
atomic cache operation (``add``, ``incr``), so two workers, or two servers on
one Redis, counting at the same moment both count: nothing is read, changed
and written back, which loses counts under concurrency (DRF's own throttles
keep a list of timestamps that way).

A window opens at the first event and lasts ``window`` seconds; the count and
the window's end expire with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Tally:
    count: int  # events in the current window, this one included
    until: float  # time.time() at which the window ends

    def seconds_left(self, now: float | None = None) -> int:
        """Whole seconds until the window ends (at least 1: a Retry-After of 0 invites a retry storm)."""
        return max(1, round(self.until - (time.time() if now is None else now)))


def count_event(key: str, window: int) -> Tally:
    """One more event under ``key``; the first of a window opens it."""
    now = time.time()
    # add() sets a key only if it is absent: only the window's first event sets its end.
    cache.add(f"{key}:until", now + window, timeout=window)
    if cache.add(f"{key}:count", 1, timeout=window):
        count = 1
    else:
        try:
            count = cache.incr(f"{key}:count")
        except ValueError:  # the window expired between add() and incr(): this event opens the next
            return count_event(key, window)
    return Tally(count, cache.get(f"{key}:until") or now + window)


def current(key: str) -> Tally | None:
    """The open window's tally under ``key``, or None when no window is open."""
    count = cache.get(f"{key}:count")
    if not count:
        return None
    return Tally(count, cache.get(f"{key}:until") or time.time() + 1)
