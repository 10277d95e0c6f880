"""Every error is a JSON body with the routing headers; no tracebacks, no HTML."""

import pytest

from api.models import Article
from tests.breakage import unmigrated, unreachable
from tests.conftest import routed_db

pytestmark = routed_db


def assert_json_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    assert "Traceback" not in response.content.decode()
    assert {"X-DB-Alias", "X-DB-Route-Reason", "Server-Timing"} <= set(response.headers)
    return body


def test_malformed_json_is_a_400(alice_client):
    response = alice_client.post("/api/articles/", data='{"title": ', content_type="application/json")
    body = assert_json_error(response, 400, "parse_error")
    assert "JSON parse error" in body["detail"]
    assert not Article.objects.exists()


def test_unsupported_media_type_is_a_415(alice_client):
    response = alice_client.post("/api/articles/", data="title=x", content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 415, "unsupported_media_type")


def test_method_not_allowed_is_a_405(alice_client, article):
    response = alice_client.post(f"/api/articles/{article.pk}/comments/", {}, format="json")
    assert_json_error(response, 405, "method_not_allowed")


def test_unknown_api_path_is_a_json_404(anon):
    body = assert_json_error(anon.get("/api/nothing-here/"), 404, "not_found")
    assert "/api/docs/" in body["detail"]


def test_missing_trailing_slash_is_explained(anon):
    body = assert_json_error(anon.get("/api/articles"), 404, "not_found")
    assert "did you mean /api/articles/" in body["detail"]


def test_unreachable_database_is_a_503_that_names_the_cause(anon, tmp_path, settings):
    settings.DEBUG = True  # the driver's own message is shown only with DEBUG on
    with unreachable("replica1", tmp_path) as driver_message:
        response = anon.get("/api/articles/", headers={"X-DB-Alias": "replica1"})
    body = assert_json_error(response, 503, "database_unavailable")
    assert driver_message in body["detail"]
    assert "database servers are running" in body["detail"]
    assert "dbdoctor" in body["detail"]
    assert response.headers["Retry-After"] == "5"
    assert response.headers["X-DB-Alias"] == "replica1"


def test_unmigrated_database_is_a_503_that_says_to_migrate(anon, tmp_path, settings):
    settings.DEBUG = True
    with unmigrated("replica1", tmp_path) as driver_message:
        response = anon.get("/api/articles/", headers={"X-DB-Alias": "replica1"})
    body = assert_json_error(response, 503, "database_not_migrated")
    assert driver_message in body["detail"]
    assert "manage.py migrate" in body["detail"]


def test_without_debug_the_driver_message_stays_in_the_log(anon, tmp_path, caplog):
    with unreachable("replica1", tmp_path) as driver_message:
        response = anon.get("/api/articles/", headers={"X-DB-Alias": "replica1"})
    body = assert_json_error(response, 503, "database_unavailable")
    assert driver_message not in body["detail"]
    assert driver_message in caplog.text


def test_other_replica_keeps_serving_while_one_is_broken(anon, article, tmp_path):
    with unreachable("replica1", tmp_path):
        response = anon.get("/api/articles/", headers={"X-DB-Alias": "replica2"})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_too_many_query_parameters_is_a_json_400(anon):
    query = "&".join(f"p{n}=1" for n in range(1500))
    body = assert_json_error(anon.get(f"/api/articles/?{query}"), 400, "bad_request")
    assert "query string was refused" in body["detail"]


@pytest.mark.parametrize("method", ["trace"])
def test_trace_is_not_routed_to_a_replica(anon, method):
    response = anon.generic(method.upper(), "/api/articles/", headers={"X-DB-Alias": "replica1"})
    assert_json_error(response, 400, "replica_not_writable")


def test_unexpected_view_error_is_a_json_500(anon, settings):
    settings.ROOT_URLCONF = "tests.urls"
    body = assert_json_error(anon.get("/api/test/drf-raise/"), 500, "server_error")
    assert "failed" in body["detail"]
