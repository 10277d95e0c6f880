"""Articles: the contract of every endpoint, and where each request ran."""

import pytest

from api.models import Article, Comment
from tests.conftest import REPLICAS, queried_aliases, routed_db

pytestmark = routed_db

ARTICLE_FIELDS = {"id", "title", "body", "author", "comment_count", "created_at", "updated_at"}


def test_list_is_public_and_read_from_a_replica(anon, article, comment):
    response = anon.get("/api/articles/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert body["previous"] is None
    [item] = body["results"]
    assert set(item) == ARTICLE_FIELDS
    assert item["title"] == "First"
    assert item["author"] == "alice"
    assert item["comment_count"] == 1
    assert response.headers["X-DB-Alias"] in REPLICAS


def test_list_is_newest_first(anon, alice):
    for title in ["old", "middle", "new"]:
        Article.objects.create(title=title, author=alice)
    titles = [item["title"] for item in anon.get("/api/articles/").json()["results"]]
    assert titles == ["new", "middle", "old"]


def test_retrieve(anon, article, comment):
    response = anon.get(f"/api/articles/{article.pk}/")
    assert response.status_code == 200
    assert response.json()["comment_count"] == 1
    assert response.json()["body"] == "Hello"


def test_create_makes_the_caller_the_author_on_primary(alice_client):
    response = alice_client.post("/api/articles/", {"title": "New", "body": "Text"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["author"] == "alice"
    assert body["comment_count"] == 0
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == ("primary", "unsafe-method")
    assert queried_aliases(response) == {"primary", "auth_db"}
    stored = Article.objects.get(pk=body["id"])
    assert (stored.title, stored.body, stored.author.username) == ("New", "Text", "alice")


def test_read_after_write_with_primary_override_sees_the_new_row(alice_client, anon):
    created = alice_client.post("/api/articles/", {"title": "Fresh"}, format="json").json()
    response = anon.get(f"/api/articles/{created['id']}/", headers={"X-DB-Alias": "primary"})
    assert response.status_code == 200
    assert response.headers["X-DB-Alias"] == "primary"
    assert response.json()["title"] == "Fresh"


def test_author_in_the_request_body_is_ignored(alice_client, bob):
    response = alice_client.post("/api/articles/", {"title": "Mine", "author": "bob"}, format="json")
    assert response.json()["author"] == "alice"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({}, "title", "This field is required."),
        ({"title": ""}, "title", "This field may not be blank."),
        ({"title": "   "}, "title", "This field may not be blank."),
        ({"title": "x" * 201}, "title", "Ensure this field has no more than 200 characters."),
        ({"title": None}, "title", "This field may not be null."),
        ({"title": ["a"]}, "title", "Not a valid string."),
    ],
)
def test_invalid_article_is_a_400_naming_the_field(alice_client, payload, field, message):
    response = alice_client.post("/api/articles/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"][field] == [message]
    assert response.headers["X-DB-Alias"] == "primary"
    assert not Article.objects.exists()


def test_full_unicode_round_trips(alice_client, anon):
    # Four-byte characters need utf8mb4 on MySQL.
    title = "Grüße 👋 日本語 " + "🚀" * 10
    created = alice_client.post("/api/articles/", {"title": title, "body": "🧪"}, format="json")
    assert created.status_code == 201
    fetched = anon.get(f"/api/articles/{created.json()['id']}/").json()
    assert (fetched["title"], fetched["body"]) == (title, "🧪")


def test_title_of_exactly_200_characters_is_accepted(alice_client):
    assert alice_client.post("/api/articles/", {"title": "x" * 200}, format="json").status_code == 201


def test_anonymous_write_is_a_401_with_a_challenge(anon):
    response = anon.post("/api/articles/", {"title": "Nope"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["X-DB-Alias"] == "primary"


def test_wrong_password_is_a_401(anon, alice):
    anon.credentials(HTTP_AUTHORIZATION="Basic YWxpY2U6d3Jvbmc=")  # alice:wrong
    response = anon.post("/api/articles/", {"title": "Nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_session_login_works_for_writes(anon, alice):
    assert anon.login(username="alice", password="correct horse battery staple")
    response = anon.post("/api/articles/", {"title": "Via session"}, format="json")
    assert response.status_code == 201


def test_put_replaces_and_keeps_author(alice_client, article):
    response = alice_client.put(f"/api/articles/{article.pk}/", {"title": "Replaced"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Replaced"
    assert response.json()["author"] == "alice"
    article.refresh_from_db()
    assert (article.title, article.body) == ("Replaced", "")


def test_patch_changes_only_the_given_fields(alice_client, article, comment):
    response = alice_client.patch(f"/api/articles/{article.pk}/", {"body": "Edited"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "First"
    assert response.json()["body"] == "Edited"
    assert response.json()["comment_count"] == 1
    assert queried_aliases(response) == {"primary", "auth_db"}


def test_updated_at_moves_on_update(alice_client, article):
    before = alice_client.get(f"/api/articles/{article.pk}/").json()["updated_at"]
    after = alice_client.patch(f"/api/articles/{article.pk}/", {"title": "Later"}, format="json").json()["updated_at"]
    assert after > before


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_only_the_author_may_change_or_delete(bob_client, article, method):
    response = getattr(bob_client, method)(f"/api/articles/{article.pk}/", {"title": "Hijacked"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the author may change or delete this.", "code": "permission_denied"}
    article.refresh_from_db()
    assert article.title == "First"


def test_delete_removes_the_article_and_its_comments(alice_client, article, comment):
    response = alice_client.delete(f"/api/articles/{article.pk}/")
    assert response.status_code == 204
    assert response.headers["X-DB-Alias"] == "primary"
    assert not Article.objects.exists()
    assert not Comment.objects.exists()


def test_article_of_a_deleted_user_shows_no_author(anon, alice, article):
    alice.delete()
    response = anon.get(f"/api/articles/{article.pk}/")
    assert response.status_code == 200
    assert response.json()["author"] is None


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/articles/999/", "No article with id '999'."),
        ("/api/articles/abc/", "No article with id 'abc'."),
        ("/api/articles/99999999999999999999999/", "No article with id '99999999999999999999999'."),
        ("/api/articles/999/comments/", "No article with id '999'."),
        ("/api/articles/abc/comments/", "No article with id 'abc'."),
        ("/api/comments/999/", "No comment with id '999'."),
        ("/api/comments/abc/", "No comment with id 'abc'."),
    ],
)
def test_missing_or_malformed_id_is_one_json_404(anon, path, detail):
    # One wording whether the id is unknown or malformed, on every object endpoint.
    response = anon.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": detail, "code": "not_found"}
    assert "X-DB-Alias" in response.headers


def test_article_comments_endpoint(anon, article, comment, bob):
    Comment.objects.create(article=article, body="Second", author=bob)
    other = Article.objects.create(title="Other", author=bob)
    Comment.objects.create(article=other, body="Elsewhere", author=bob)
    response = anon.get(f"/api/articles/{article.pk}/comments/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["body"] for item in body["results"]] == ["Nice", "Second"]
    assert response.headers["X-DB-Alias"] in REPLICAS
