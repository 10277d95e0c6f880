"""project.counters: events counted in a window of the cache, atomically."""

from concurrent.futures import ThreadPoolExecutor

from django.core.cache import cache

from project.counters import count_event, current


def test_the_first_event_opens_the_window_and_later_ones_count_in_it():
    first = count_event("t:window", 60)
    second = count_event("t:window", 60)
    assert (first.count, second.count) == (1, 2)
    assert second.until == first.until, "later events do not move the window's end"
    assert 59 <= current("t:window").seconds_left() <= 60


def test_no_window_is_open_before_the_first_event_or_after_it_expires():
    assert current("t:none") is None
    count_event("t:gone", 60)
    cache.delete_many(["t:gone:count", "t:gone:until"])  # what expiry does
    assert current("t:gone") is None
    assert count_event("t:gone", 60).count == 1


def test_concurrent_events_are_all_counted():
    # A read-change-write counter loses some of these; add() and incr() do not.
    with ThreadPoolExecutor(max_workers=16) as pool:
        counts = list(pool.map(lambda _: count_event("t:busy", 60).count, range(400)))
    assert sorted(counts) == list(range(1, 401))
    assert current("t:busy").count == 400
