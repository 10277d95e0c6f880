"""Failed logins are limited per username and per client address, before any password is checked."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, basic_auth, make_user, routed_db

pytestmark = routed_db


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW = 60


def wrong_basic(username: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:not-the-password".encode()).decode()


def test_basic_auth_failures_lock_the_username_then_answer_429_with_retry_after(anon):
    make_user("carol")
    for _ in range(3):
        assert anon.get("/api/articles/", HTTP_AUTHORIZATION=wrong_basic("carol")).status_code == 401
    locked = anon.get("/api/articles/", HTTP_AUTHORIZATION=basic_auth("carol"))  # even the right password
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_throttled"
    assert 1 <= int(locked["Retry-After"]) <= 60


def test_the_limit_is_per_address_too(anon):
    make_user("dave")
    for name in ("x1", "x2", "x3"):  # three different usernames, one address
        anon.get("/api/articles/", HTTP_AUTHORIZATION=wrong_basic(name), REMOTE_ADDR="198.51.100.7")
    from_there = anon.get("/api/articles/", HTTP_AUTHORIZATION=basic_auth("dave"), REMOTE_ADDR="198.51.100.7")
    assert from_there.status_code == 429
    elsewhere = anon.get("/api/articles/", HTTP_AUTHORIZATION=basic_auth("dave"), REMOTE_ADDR="198.51.100.8")
    assert elsewhere.status_code == 200


def test_successful_logins_do_not_count(anon):
    make_user("erin")
    for _ in range(10):
        assert anon.get("/api/articles/", HTTP_AUTHORIZATION=basic_auth("erin")).status_code == 200


def test_the_login_form_is_limited_as_well(anon):
    make_user("frank")
    for _ in range(3):
        anon.post("/api/auth/login/", {"username": "frank", "password": "wrong"})
    locked = anon.post("/api/auth/login/", {"username": "frank", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_throttled"
    # Other usernames from another address are not affected.
    make_user("gina")
    other = anon.post("/api/auth/login/", {"username": "gina", "password": PASSWORD}, REMOTE_ADDR="192.0.2.4")
    assert other.status_code != 429
