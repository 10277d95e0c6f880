"""Which alias a response names, the Server-Timing header, and which headers are sent to whom."""

import pytest

from routing.reporting import served_by, server_timing
from routing.state import QueryLog, Route
from tests.conftest import basic_auth, make_user, routed_db


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


# What is sent, and to whom --------------------------------------------------------------------

ROUTING_HEADERS = ("X-DB-Alias", "X-DB-Route-Reason", "Server-Timing")


def sent(response) -> tuple[str, ...]:
    return tuple(name for name in ROUTING_HEADERS if name in response.headers)


@routed_db
@pytest.mark.parametrize(
    ("chosen", "expected"),
    [("all", ROUTING_HEADERS), ("alias", ("X-DB-Alias",)), ("none", ())],
)
def test_report_headers_chooses_what_is_sent(anon, settings, chosen, expected):
    settings.ROUTING_REPORT_HEADERS = chosen
    response = anon.get("/api/articles/")
    assert response.status_code == 200
    assert sent(response) == expected


@routed_db
def test_report_headers_apply_to_refusals_too(anon, settings):
    settings.ROUTING_REPORT_HEADERS = "alias"
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    response = anon.get("/api/articles/", HTTP_X_DB_ALIAS="replica1")
    assert response.status_code == 403
    assert sent(response) == ("X-DB-Alias",)


@routed_db
def test_report_to_staff_hides_the_headers_from_everyone_else(anon, settings):
    settings.DEBUG = False
    settings.ROUTING_REPORT_TO = "staff"
    assert sent(anon.get("/api/articles/")) == ()
    make_user("carol")
    assert sent(anon.get("/api/articles/", HTTP_AUTHORIZATION=basic_auth("carol"))) == ()
    staff = make_user("dave")
    staff.is_staff = True
    staff.save()
    assert sent(anon.get("/api/articles/", HTTP_AUTHORIZATION=basic_auth("dave"))) == ROUTING_HEADERS
    # Under DEBUG everyone is a developer.
    settings.DEBUG = True
    assert sent(anon.get("/api/articles/")) == ROUTING_HEADERS


@routed_db
def test_vary_is_patched_without_losing_what_was_there(anon):
    response = anon.get("/api/articles/")
    vary = [value.strip() for value in response.headers["Vary"].split(",")]
    assert {"X-DB-Alias", "X-DB-Causal-Token", "Cookie"} <= set(vary)
    assert len(vary) == len({value.lower() for value in vary}), "no header named twice"


@pytest.mark.parametrize(
    "value",
    # ASCII, control characters included: stored unchanged.
    ["replica1", 'primary;desc="2 queries";dur=0.31, total;dur=1.20', "", "tab\there", "nul\x00"],
)
def test_values_said_to_be_stored_unchanged_are_stored_unchanged_by_django(value):
    """What report() stores without Django's checks is what ResponseHeaders.__setitem__ would store."""
    from django.http import HttpResponse

    from routing.reporting import ALIAS_HEADER, header_store, stored_unchanged

    expected = HttpResponse()
    expected.headers[ALIAS_HEADER] = value
    assert stored_unchanged(value)
    assert header_store(expected)["x-db-alias"] == (ALIAS_HEADER, value)


@pytest.mark.parametrize("value", ["réplica", "€"])
def test_values_beyond_ascii_take_djangos_checked_path(value):
    from routing.reporting import stored_unchanged

    assert not stored_unchanged(value)


@pytest.mark.parametrize("value", ["replica1\r\nSet-Cookie: x=1", "a\nb"])
def test_values_with_line_breaks_are_never_stored_unchanged(rf, value):
    """Such an alias takes Django's checked path in report(), which refuses it."""
    from django.http import BadHeaderError, HttpResponse

    from routing.reporting import report, stored_unchanged

    assert not stored_unchanged(value)
    with pytest.raises(BadHeaderError):
        report(
            rf.get("/api/articles/"),
            HttpResponse(),
            value,
            "replica-pick",
            route_with(value, "replica-pick", {}),
            0.001,
        )


def test_every_reason_is_stored_unchanged():
    from routing import reasons
    from routing.reporting import stored_unchanged

    assert all(stored_unchanged(reason) for reason in reasons.ALL)


def test_plain_aliases_are_every_alias_or_none(settings):
    from django.test.utils import ignore_warnings

    from routing.conf import routing_settings

    assert routing_settings.hot.plain_aliases == frozenset(settings.DATABASES)
    with ignore_warnings(message="Overriding setting DATABASES"):
        settings.DATABASES = {**settings.DATABASES, "bad\nalias": settings.DATABASES["default"]}
        assert routing_settings.hot.plain_aliases == frozenset()


@pytest.mark.parametrize("left", [None, "Accept", "accept, Cookie", "Origin, x-db-alias", "*"])
def test_vary_keeps_what_each_response_had_the_second_time_too(left):
    """The middleware remembers patched values: a repeat must equal a fresh patch."""
    from django.http import HttpResponse
    from django.utils.cache import patch_vary_headers

    from routing.middleware import _VARY, _vary_on_routing

    expected = HttpResponse()
    if left is not None:
        expected.headers["Vary"] = left
    patch_vary_headers(expected, _VARY)
    for _ in range(2):
        response = HttpResponse()
        if left is not None:
            response.headers["Vary"] = left
        _vary_on_routing(response)
        assert response.headers["Vary"] == expected.headers["Vary"]


@routed_db
def test_the_token_cookie_takes_its_name_and_flags_from_the_settings(settings):
    from rest_framework.test import APIClient

    settings.ROUTING_COOKIE_NAME = "rw_token"
    settings.ROUTING_COOKIE_SECURE = True
    settings.ROUTING_COOKIE_SAMESITE = "Strict"
    make_user("erin")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("erin"))
    response = client.post("/api/articles/", {"title": "Cookie"}, format="json")
    assert response.status_code == 201
    cookie = response.cookies["rw_token"]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["httponly"] is True
    assert "db_causal" not in response.cookies
    # And the renamed cookie is the one read back.
    read = client.get(f"/api/articles/{response.json()['id']}/")
    assert read.headers["X-DB-Route-Reason"].startswith("causal-")


@pytest.mark.parametrize(
    # The settings' aliases take report()'s direct path; any other alias Django's checked one.
    ("alias", "direct"),
    [("replica1", True), ("primary", True), ("réplica", False), ("tab\there", False)],
)
def test_report_stores_its_three_headers_as_django_stores_them(rf, alias, direct):
    """report() leaves what three checked assignments would, on either path."""
    from django.http import HttpResponse

    from routing.conf import routing_settings
    from routing.reporting import ALIAS_HEADER, REASON_HEADER, TIMING_HEADER, report

    assert (alias in routing_settings.hot.plain_aliases) is direct

    route = route_with(alias, "replica-pick", {alias: 2})
    response, expected = HttpResponse(), HttpResponse()
    report(rf.get("/api/articles/"), response, alias, "replica-pick", route, 0.004)
    expected.headers[ALIAS_HEADER] = alias
    expected.headers[REASON_HEADER] = "replica-pick"
    expected.headers[TIMING_HEADER] = server_timing(route, 0.004)
    assert list(response.headers.items()) == list(expected.headers.items())
    assert response.serialize_headers() == expected.serialize_headers()
