"""Request limits: body size, write throttling, and the error each one answers with."""

import asyncio

import pytest
from django.test import Client
from rest_framework.test import APIClient

from api.models import Article
from tests.conftest import basic_auth, make_user, routed_db
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


def _asgi_post(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, dict, bytes]:
    """POST ``chunks`` through the project's ASGI application, as a server would deliver them."""
    from asgiref.sync import async_to_sync

    from project.asgi import application

    messages = iter(
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    )
    sent = []

    async def receive():
        message = next(messages, None)
        if message is None:
            await asyncio.Future()  # the client stays connected until the response is sent
        return message

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    async_to_sync(application)(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body


def test_under_asgi_a_chunked_body_is_cut_off_at_the_limit(settings, alice):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    authorization = (b"authorization", basic_auth("alice").encode())
    status, headers, body = _asgi_post("/api/articles/", [b"x" * 600] * 50, [authorization])
    assert status == 413, body
    assert headers["x-db-alias"] == "primary"
    assert b'"code":"request_too_large"' in body
    # Cut off at the chunk that passed the limit; the rest was dropped, never stored.
    assert b"The request body is 1200 bytes" in body
    assert not Article.objects.using("primary").exists()


def test_under_asgi_a_body_within_the_limit_is_untouched(settings, alice):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    authorization = (b"authorization", basic_auth("alice").encode())
    length = (b"content-length", b"20")
    status, _, body = _asgi_post("/api/articles/", [b'{"title": ', b'"Chunked"}'], [authorization, length])
    assert status == 201, body
    assert Article.objects.using("primary").get().title == "Chunked"


@pytest.mark.parametrize("length", ["-1", "lots"])
def test_a_content_length_that_is_not_a_byte_count_is_a_400(alice_client, length):
    response = alice_client.post(ARTICLES, "{}", content_type="application/json", CONTENT_LENGTH=length)
    assert_json_error(response, 400, "bad_request")


@pytest.mark.parametrize("value", [0, 1.5, True, ["a"], {"a": 1}])
def test_text_fields_take_only_text(alice_client, value):
    # Found by the fuzzer: DRF's CharField would have stored 0 as "0".
    response = alice_client.post(ARTICLES, {"title": "Typed", "body": value}, format="json")
    body = assert_json_error(response, 400, "invalid")
    assert body["errors"]["body"] == ["Not a valid string."]
    assert not Article.objects.using("primary").exists()
