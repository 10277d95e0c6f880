"""Causal tokens and the sticky window, on whichever engine the suite runs on.

On SQLite the replicas read the primary's own file, so a causal token is
honoured trivially; tests/mysql/ proves it against real replication lag.
"""

import time

import pytest
from django.test import Client

from api.models import Article
from routing import tokens
from routing.tokens import CausalToken
from tests.conftest import REPLICAS, queried_aliases, routed_db

pytestmark = routed_db


def write(client, title="Mine"):
    response = client.post("/api/articles/", {"title": title}, format="json")
    assert response.status_code == 201, response.content
    return response


def test_a_committed_write_hands_out_a_token_as_header_and_cookie(alice_client):
    response = write(alice_client)
    token = response.headers["X-DB-Causal-Token"]
    cookie = response.cookies["db_causal"]
    assert cookie.value == token
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) > 0
    decoded = tokens.decode(token)
    assert decoded.mode == "causal"
    assert decoded.position  # the write's replication position
    assert abs(decoded.age) < 5


@pytest.mark.parametrize("send", ["header", "cookie"])
def test_a_read_with_the_token_is_served_by_a_replica_that_has_the_write(alice_client, anon, send):
    article_id = write(alice_client).json()["id"]
    token = alice_client.cookies["db_causal"].value
    if send == "header":
        response = anon.get(f"/api/articles/{article_id}/", headers={"X-DB-Causal-Token": token})
    else:
        anon.cookies["db_causal"] = token
        response = anon.get(f"/api/articles/{article_id}/")
    assert response.status_code == 200
    assert response.headers["X-DB-Alias"] in {*REPLICAS, "primary"}
    assert response.headers["X-DB-Route-Reason"] in {"causal-replica", "causal-primary"}


def test_a_forged_token_is_ignored(anon, article):
    forged = CausalToken("causal", time.time(), "mariadb-gtid", "0-1-1").encode()[:-4] + "AAAA"
    response = anon.get(f"/api/articles/{article.pk}/", headers={"X-DB-Causal-Token": forged})
    assert response.status_code == 200
    assert response.headers["X-DB-Alias"] in REPLICAS
    assert response.headers["X-DB-Route-Reason"] == "causal-invalid"


@pytest.mark.parametrize("position", ["0-1-1'; DROP TABLE api_article; --", "garbage", "", "1-2"])
def test_a_signed_token_with_a_malformed_position_never_reaches_sql(anon, article, position):
    # Even correctly signed, a position that is not a GTID is refused before any query.
    token = CausalToken("causal", time.time(), "mariadb-gtid", position).encode()
    response = anon.get(f"/api/articles/{article.pk}/", headers={"X-DB-Causal-Token": token})
    assert response.headers["X-DB-Route-Reason"] == "causal-invalid"
    assert Article.objects.filter(pk=article.pk).exists()


def test_an_expired_token_is_simply_not_needed(anon, article, settings):
    settings.ROUTING_CAUSAL_TOKEN_TTL = 60
    old = CausalToken("causal", time.time() - 120, "sqlite", "sqlite").encode()
    response = anon.get(f"/api/articles/{article.pk}/", headers={"X-DB-Causal-Token": old})
    assert response.headers["X-DB-Route-Reason"] == "replica-pick"


def test_an_explicit_override_wins_over_the_token(alice_client, anon):
    write(alice_client)
    token = alice_client.cookies["db_causal"].value
    response = anon.get("/api/articles/", headers={"X-DB-Causal-Token": token, "X-DB-Alias": "replica2"})
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == ("replica2", "header")


def test_no_token_without_a_committed_write(alice_client, anon, article):
    refused = alice_client.post("/api/articles/", {"title": ""}, format="json")
    assert refused.status_code == 400
    assert "X-DB-Causal-Token" not in refused.headers
    assert "db_causal" not in refused.cookies
    read = anon.get("/api/articles/")
    assert "X-DB-Causal-Token" not in read.headers


def test_window_mode_pins_the_writer_to_the_primary_then_lets_go(alice_client, settings):
    settings.ROUTING_READ_YOUR_WRITES = "window"
    settings.ROUTING_PIN_SECONDS = 0.5
    response = write(alice_client)
    assert tokens.decode(response.headers["X-DB-Causal-Token"]).mode == "window"
    assert int(response.cookies["db_causal"]["max-age"]) == 1  # whole seconds, at least 1
    inside = alice_client.get(f"/api/articles/{response.json()['id']}/")
    assert (inside.headers["X-DB-Alias"], inside.headers["X-DB-Route-Reason"]) == ("primary", "sticky-window")
    assert queried_aliases(inside) - {"auth_db"} == {"primary"}
    time.sleep(0.6)
    after = alice_client.get(f"/api/articles/{response.json()['id']}/")
    assert after.headers["X-DB-Alias"] in REPLICAS
    assert after.headers["X-DB-Route-Reason"] == "replica-pick"


def test_off_mode_hands_out_nothing_and_ignores_tokens(alice_client, anon, settings):
    settings.ROUTING_READ_YOUR_WRITES = "off"
    response = write(alice_client)
    assert "X-DB-Causal-Token" not in response.headers
    token = CausalToken("window", time.time()).encode()
    read = anon.get("/api/articles/", headers={"X-DB-Causal-Token": token})
    assert read.headers["X-DB-Route-Reason"] == "replica-pick"


def test_a_refused_write_hands_out_no_token(alice_client):
    response = alice_client.delete("/api/articles/999999/")
    assert response.status_code == 404
    assert "X-DB-Causal-Token" not in response.headers


def test_a_rolled_back_write_hands_out_no_token(settings):
    settings.ROOT_URLCONF = "tests.urls"
    response = Client().post("/api/test/rolled-back-write/")
    assert response.status_code == 409
    assert "X-DB-Causal-Token" not in response.headers
    assert not Article.objects.exists()
