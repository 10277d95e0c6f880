"""Which alias a response names, and the Server-Timing header."""

from routing.reporting import served_by, server_timing
from routing.state import QueryLog, Route


def route_with(alias: str, reason: str, ran: dict[str, int], reasons: dict[str, str] | None = None) -> Route:
    log = QueryLog()
    log.note(alias, reason)
    for other, why in (reasons or {}).items():
        log.note(other, why)
    for ran_alias, count in ran.items():
        for _ in range(count):
            log.record(ran_alias, 0.001)
    return Route(alias, reason, log)


def test_route_that_ran_its_queries_is_reported():
    assert served_by(route_with("replica1", "replica-pick", {"replica1": 3, "auth_db": 1})) == (
        "replica1",
        "replica-pick",
    )


def test_auth_lookups_alone_do_not_change_the_alias():
    assert served_by(route_with("replica2", "header", {"auth_db": 2})) == ("replica2", "header")


def test_route_without_queries_is_reported():
    assert served_by(route_with("replica2", "query-param", {})) == ("replica2", "query-param")


def test_queries_that_all_ran_elsewhere_are_reported_with_their_reason():
    route = route_with("replica1", "replica-pick", {"primary": 2}, {"primary": "pinned"})
    assert served_by(route) == ("primary", "pinned")


def test_route_that_ran_queries_wins_over_a_side_trip():
    route = route_with("replica1", "replica-pick", {"replica1": 1, "primary": 5}, {"primary": "atomic"})
    assert served_by(route) == ("replica1", "replica-pick")


def test_server_timing_has_one_entry_per_alias_then_total():
    route = route_with("replica1", "replica-pick", {"replica1": 3, "auth_db": 1})
    header = server_timing(route, 0.0123)
    assert header == 'replica1;desc="3 queries";dur=3.00, auth_db;desc="1 query";dur=1.00, total;dur=12.30'


def test_server_timing_without_route():
    assert server_timing(None, 0.0005) == "total;dur=0.50"
