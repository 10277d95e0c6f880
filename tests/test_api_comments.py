"""Comments: create, filter, edit, and the errors a client can cause."""

import pytest

from api.models import Article, Comment
from tests.conftest import REPLICAS, routed_db

pytestmark = routed_db

COMMENT_FIELDS = {"id", "article", "body", "author", "created_at"}


def test_create_comment(bob_client, article):
    response = bob_client.post("/api/comments/", {"article": article.pk, "body": "Great"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == COMMENT_FIELDS
    assert (body["article"], body["body"], body["author"]) == (article.pk, "Great", "bob")
    assert response.headers["X-DB-Alias"] == "primary"
    assert Comment.objects.get(pk=body["id"]).author.username == "bob"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"article": 999, "body": "x"}, "article", 'Invalid pk "999" - object does not exist.'),
        ({"article": "abc", "body": "x"}, "article", "Incorrect type. Expected pk value, received str."),
        ({"article": 99999999999999999999999, "body": "x"}, "article", "object does not exist"),
        ({"body": "x"}, "article", "This field is required."),
        ({"article": None, "body": "x"}, "article", "This field may not be null."),
    ],
)
def test_comment_on_a_missing_or_malformed_article_is_a_400(bob_client, article, payload, field, message):
    response = bob_client.post("/api/comments/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert message in response.json()["errors"][field][0]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"body": ""}, {"body": "   "}])
def test_comment_needs_a_body(bob_client, article, payload):
    response = bob_client.post("/api/comments/", {"article": article.pk, **payload}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]


def test_list_and_filter_by_article(anon, article, comment, bob):
    other = Article.objects.create(title="Other", author=bob)
    Comment.objects.create(article=other, body="Elsewhere", author=bob)
    assert anon.get("/api/comments/").json()["count"] == 2
    response = anon.get(f"/api/comments/?article={article.pk}")
    assert [item["body"] for item in response.json()["results"]] == ["Nice"]
    assert response.headers["X-DB-Alias"] in REPLICAS
    assert anon.get("/api/comments/?article=424242").json()["count"] == 0


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "1e3"])
def test_malformed_article_filter_is_a_400(anon, value):
    response = anon.get("/api/comments/", {"article": value})
    assert response.status_code == 400
    assert response.json()["errors"]["article"] == [
        f"Must be a whole number (an id) from 0 to 9223372036854775807, not {value!r}."
    ]


def test_retrieve_comment(anon, comment):
    response = anon.get(f"/api/comments/{comment.pk}/")
    assert response.json()["body"] == "Nice"
    assert response.json()["author"] == "bob"


def test_author_edits_comment(bob_client, comment):
    response = bob_client.patch(f"/api/comments/{comment.pk}/", {"body": "Edited"}, format="json")
    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.body == "Edited"


def test_comment_cannot_move_to_another_article(bob_client, comment, bob):
    other = Article.objects.create(title="Other", author=bob)
    response = bob_client.put(f"/api/comments/{comment.pk}/", {"article": other.pk, "body": "Moved"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["article"] == ["A comment cannot be moved to another article."]
    comment.refresh_from_db()
    assert (comment.article_id, comment.body) == (comment.article_id, "Nice")


def test_others_cannot_edit_or_delete_a_comment(alice_client, comment):
    assert alice_client.patch(f"/api/comments/{comment.pk}/", {"body": "No"}, format="json").status_code == 403
    assert alice_client.delete(f"/api/comments/{comment.pk}/").status_code == 403
    assert Comment.objects.get().body == "Nice"


def test_author_deletes_comment(bob_client, comment):
    assert bob_client.delete(f"/api/comments/{comment.pk}/").status_code == 204
    assert not Comment.objects.exists()


def test_article_filter_beyond_64_bits_is_a_400_not_a_crash(anon):
    response = anon.get("/api/comments/", {"article": str(2**63)})
    assert response.status_code == 400
    assert "from 0 to 9223372036854775807" in response.json()["errors"]["article"][0]
    assert anon.get("/api/comments/", {"article": str(2**63 - 1)}).json()["count"] == 0


def test_deleting_a_comment_touches_only_the_primary(bob_client, comment, django_assert_num_queries):
    with django_assert_num_queries(0, using="replica1"), django_assert_num_queries(0, using="replica2"):
        response = bob_client.delete(f"/api/comments/{comment.pk}/")
    assert response.status_code == 204
    assert "replica" not in response.headers["Server-Timing"]
