"""Request limits: body size, write throttling, and the error each one answers with."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from api.models import Article
from tests.conftest import make_user, routed_db
from tests.test_errors import assert_json_error

pytestmark = routed_db

ARTICLES = "/api/articles/"


def test_a_body_over_the_limit_is_a_413_and_writes_nothing(settings, alice_client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = alice_client.post(ARTICLES, {"title": "Big", "body": "x" * 2000}, format="json")
    body = assert_json_error(response, 413, "request_too_large")
    assert "at most 1000" in body["detail"]
    assert response.headers["X-DB-Alias"] == "primary"
    assert not Article.objects.using("primary").exists()


def test_a_body_under_the_limit_is_accepted(settings, alice_client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert alice_client.post(ARTICLES, {"title": "Small", "body": "x" * 500}, format="json").status_code == 201


def test_a_content_length_that_is_not_a_number_is_a_400(alice_client):
    response = alice_client.post(ARTICLES, "{}", content_type="application/json", CONTENT_LENGTH="lots")
    assert_json_error(response, 400, "bad_request")


def test_writes_over_the_rate_are_a_429_with_retry_after(settings, alice_client):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "2/min"}}
    for title in ("One", "Two"):
        assert alice_client.post(ARTICLES, {"title": title}, format="json").status_code == 201
    response = alice_client.post(ARTICLES, {"title": "Three"}, format="json")
    body = assert_json_error(response, 429, "throttled")
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert "throttled" in body["detail"]
    assert sorted(Article.objects.using("primary").values_list("title", flat=True)) == ["One", "Two"]


def test_the_rate_is_per_user_and_reads_are_never_throttled(settings, alice_client, bob_client):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "1/min"}}
    assert alice_client.post(ARTICLES, {"title": "Alice's"}, format="json").status_code == 201
    assert alice_client.post(ARTICLES, {"title": "Again"}, format="json").status_code == 429
    assert bob_client.post(ARTICLES, {"title": "Bob's"}, format="json").status_code == 201
    assert all(alice_client.get(ARTICLES).status_code == 200 for _ in range(5))


def test_asking_for_html_is_a_406(anon):
    assert_json_error(anon.get(ARTICLES, headers={"Accept": "text/html"}), 406, "not_acceptable")


# As JSON escapes: a lone UTF-16 surrogate is valid JSON but not Unicode text.
@pytest.mark.parametrize("escaped", ["\\ud800", "bad \\udfff tail", "nul \\u0000 byte"])
def test_text_that_is_not_unicode_or_holds_nul_is_a_400(alice_client, escaped):
    response = alice_client.post(ARTICLES, f'{{"title": "{escaped}"}}', content_type="application/json")
    body = assert_json_error(response, 400, "invalid")
    assert "title" in body["errors"]
    assert not Article.objects.using("primary").exists()


def test_a_csrf_failure_under_api_is_json():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/auth/login/", {"username": "x", "password": "y"})
    body = assert_json_error(response, 403, "csrf_failed")
    assert "CSRF" in body["detail"]


def test_a_session_write_without_the_csrf_token_is_refused(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(ARTICLES, {"title": "Forged"}, format="json")
    assert_json_error(response, 403, "permission_denied")
    assert not Article.objects.using("primary").exists()


def test_page_size_is_bounded(anon):
    body = assert_json_error(anon.get(ARTICLES, {"page_size": 101}), 400, "invalid")
    assert "from 1 to 100" in body["errors"]["page_size"][0]


def test_wrong_credentials_are_a_401_even_on_reads(anon):
    make_user("erin")
    anon.credentials(HTTP_AUTHORIZATION="Basic ZXJpbjp3cm9uZw==")  # erin:wrong
    assert_json_error(anon.get(ARTICLES), 401, "authentication_failed")
