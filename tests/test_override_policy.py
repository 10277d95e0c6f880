"""ROUTING_ALLOW_OVERRIDE: who may aim a request at a chosen database."""

import base64
import contextlib

import pytest
from django.core import checks
from rest_framework.test import APIClient

from api.models import Article
from routing.checks import check_override_policy
from routing.conf import routing_settings
from tests.breakage import unreachable
from tests.conftest import basic_auth, make_user, routed_db

pytestmark = routed_db

ARTICLES = "/api/articles/"


@pytest.fixture
def staff():
    user = make_user("carol")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def staff_client(staff) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(staff.username))
    return client


@pytest.fixture
def staff_session(staff) -> APIClient:
    client = APIClient()
    client.force_login(staff)
    return client


def assert_forbidden(response, allowed: list[str]) -> None:
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "override_forbidden"
    assert body["allowed"] == allowed
    assert "ROUTING_ALLOW_OVERRIDE" in body["detail"]
    assert response.headers["X-DB-Alias"] == "none"
    assert response.headers["X-DB-Route-Reason"] == "override-rejected"


def test_all_lets_anyone_name_a_replica(settings, anon):
    settings.ROUTING_ALLOW_OVERRIDE = "all"
    response = anon.get(ARTICLES, headers={"X-DB-Alias": "replica2"})
    assert response.status_code == 200
    assert response.headers["X-DB-Alias"] == "replica2"


@pytest.mark.parametrize(("value", "alias"), [("primary", "primary"), ("replica", None)])
def test_primary_only_lets_anyone_ask_for_the_primary_or_the_pick(settings, anon, value, alias):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    response = anon.get(ARTICLES, {"db": value})
    assert response.status_code == 200
    assert response.headers["X-DB-Alias"] in ([alias] if alias else ["replica1", "replica2"])
    assert response.headers["X-DB-Route-Reason"] == "query-param"


@pytest.mark.parametrize("kwargs", [{"headers": {"X-DB-Alias": "replica1"}}, {"data": {"db": "replica2"}}])
def test_primary_only_refuses_a_named_replica_to_a_client_that_is_not_staff(settings, anon, alice_client, kwargs):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    assert_forbidden(anon.get(ARTICLES, **kwargs), ["primary", "replica"])
    assert_forbidden(alice_client.get(ARTICLES, **kwargs), ["primary", "replica"])


def test_primary_only_lets_staff_name_a_replica_with_basic_credentials(settings, staff_client):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    response = staff_client.get(ARTICLES, headers={"X-DB-Alias": "replica1"})
    assert response.status_code == 200
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == ("replica1", "header")


def test_a_staff_session_counts_too(settings, staff_session):
    settings.ROUTING_ALLOW_OVERRIDE = "staff"
    response = staff_session.get(ARTICLES, {"db": "replica2"})
    assert response.status_code == 200
    assert response.headers["X-DB-Alias"] == "replica2"


def test_wrong_staff_password_is_not_staff(settings, staff_client):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    wrong = base64.b64encode(b"carol:not-the-password").decode()
    staff_client.credentials(HTTP_AUTHORIZATION=f"Basic {wrong}")
    assert_forbidden(staff_client.get(ARTICLES, headers={"X-DB-Alias": "replica1"}), ["primary", "replica"])


@pytest.mark.parametrize("authorization", ["Basic", "Basic !!!not-base64", "Basic " + base64.b64encode(b"x").decode()])
def test_malformed_basic_credentials_are_refused_cleanly(settings, anon, authorization):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    anon.credentials(HTTP_AUTHORIZATION=authorization)
    assert_forbidden(anon.get(ARTICLES, headers={"X-DB-Alias": "replica1"}), ["primary", "replica"])


def test_staff_policy_refuses_even_primary_to_others(settings, alice_client, staff_client):
    settings.ROUTING_ALLOW_OVERRIDE = "staff"
    assert_forbidden(alice_client.get(ARTICLES, headers={"X-DB-Alias": "primary"}), [])
    assert staff_client.get(ARTICLES, headers={"X-DB-Alias": "primary"}).headers["X-DB-Alias"] == "primary"


def test_off_refuses_everyone(settings, staff_client):
    settings.ROUTING_ALLOW_OVERRIDE = "off"
    response = staff_client.get(ARTICLES, {"db": "primary"})
    assert_forbidden(response, [])
    assert "disabled" in response.json()["detail"]


def test_a_refused_write_writes_nothing(settings, alice_client):
    settings.ROUTING_ALLOW_OVERRIDE = "off"
    response = alice_client.post(ARTICLES, {"title": "No"}, format="json", headers={"X-DB-Alias": "primary"})
    assert_forbidden(response, [])
    assert not Article.objects.using("primary").exists()


def test_without_an_override_nothing_is_refused(settings, anon, alice_client):
    settings.ROUTING_ALLOW_OVERRIDE = "off"
    assert anon.get(ARTICLES).status_code == 200
    assert alice_client.post(ARTICLES, {"title": "Yes"}, format="json").status_code == 201


def test_an_unknown_value_is_still_a_400(settings, anon):
    settings.ROUTING_ALLOW_OVERRIDE = "off"
    response = anon.get(ARTICLES, headers={"X-DB-Alias": "auth_db"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_db_alias"


def test_an_unknown_policy_fails_closed_and_a_check_says_so(settings, anon):
    settings.ROUTING_ALLOW_OVERRIDE = "everyone"
    assert_forbidden(anon.get(ARTICLES, headers={"X-DB-Alias": "primary"}), [])
    [error] = check_override_policy()
    assert error.id == "routing.E005"


@pytest.mark.parametrize(("debug", "policy"), [(True, "all"), (False, "primary-only")])
def test_the_default_follows_debug(settings, debug, policy):
    del settings.ROUTING_ALLOW_OVERRIDE
    settings.DEBUG = debug
    assert routing_settings.allow_override == policy


def test_routing_before_authentication_is_warned_about(settings):
    middleware = [m for m in settings.MIDDLEWARE if m != "routing.middleware.RoutingMiddleware"]
    settings.MIDDLEWARE = ["routing.middleware.RoutingMiddleware", *middleware]
    assert [message.id for message in check_override_policy()] == ["routing.W005"]
    assert checks.run_checks(tags=["routing"]) != []


def test_a_replica_write_is_a_400_for_everyone_not_a_403(settings, anon):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    response = anon.post(ARTICLES, {"title": "No"}, format="json", headers={"X-DB-Alias": "replica1"})
    assert response.status_code == 400
    assert response.json()["code"] == "replica_not_writable"


def test_auth_db_down_means_no_staff_and_a_clean_403(settings, staff_client, tmp_path):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    with contextlib.ExitStack() as outage:
        # On MySQL, copies of auth_db on the replica servers would answer instead.
        for alias in ["auth_db", *settings.ROUTING_AUTH_REPLICAS]:
            outage.enter_context(unreachable(alias, tmp_path))
        assert_forbidden(staff_client.get(ARTICLES, headers={"X-DB-Alias": "replica1"}), ["primary", "replica"])


def test_the_session_user_is_looked_up_once(settings, staff_session, django_assert_max_num_queries):
    settings.ROUTING_ALLOW_OVERRIDE = "staff"
    with django_assert_max_num_queries(2, using="auth_db"):  # the session and the user, once each
        assert staff_session.get(ARTICLES, {"db": "primary"}).status_code == 200
