"""Pagination: bounded, strict about its parameters, and free of N+1 queries."""

import pytest

from api.models import Article, Comment
from tests.conftest import make_user, routed_db

pytestmark = routed_db


@pytest.fixture
def many_articles():
    authors = [make_user(f"author{n}") for n in range(5)]
    Article.objects.bulk_create(Article(title=f"Article {n}", author=authors[n % len(authors)]) for n in range(120))
    # Read back: Oracle MySQL has no RETURNING, so bulk_create leaves the primary keys unset there.
    articles = list(Article.objects.using("primary").order_by("pk"))
    Comment.objects.bulk_create(
        Comment(article=article, body="c", author=authors[0]) for article in articles[:30] for _ in range(2)
    )
    return articles


def test_default_page_size_is_20(anon, many_articles):
    body = anon.get("/api/articles/").json()
    assert body["count"] == 120
    assert len(body["results"]) == 20
    assert body["next"].endswith("/api/articles/?page=2")
    assert body["previous"] is None


def test_page_size_parameter(anon, many_articles):
    body = anon.get("/api/articles/?page_size=7&page=2").json()
    assert len(body["results"]) == 7
    assert "page_size=7" in body["next"]
    assert "page=3" in body["next"]


def test_page_size_of_100_is_allowed(anon, many_articles):
    assert len(anon.get("/api/articles/?page_size=100").json()["results"]) == 100


@pytest.mark.parametrize("value", ["0", "101", "-5", "abc", "2.5"])
def test_page_size_out_of_bounds_is_a_400(anon, many_articles, value):
    response = anon.get("/api/articles/", {"page_size": value})
    assert response.status_code == 400
    assert response.json()["errors"]["page_size"] == [f"Must be a whole number from 1 to 100, not {value!r}."]


@pytest.mark.parametrize("value", ["0", "abc", "-1"])
def test_malformed_page_is_a_400(anon, many_articles, value):
    response = anon.get("/api/articles/", {"page": value})
    assert response.status_code == 400
    assert "page" in response.json()["errors"]


def test_page_past_the_end_is_a_404(anon, many_articles):
    response = anon.get("/api/articles/?page=7")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Page 7 does not exist: That page contains no results.",
        "code": "not_found",
    }


def test_last_page(anon, many_articles):
    body = anon.get("/api/articles/?page=last").json()
    assert len(body["results"]) == 20
    assert body["next"] is None


@pytest.mark.parametrize("page_size", [10, 100])
@pytest.mark.parametrize("replica", ["replica1", "replica2"])
def test_article_list_query_count_does_not_grow_with_page_size(
    anon, many_articles, django_assert_num_queries, page_size, replica
):
    # count + page (with comment counts) on the replica, authors in one query on auth_db.
    with (
        django_assert_num_queries(2, using=replica),
        django_assert_num_queries(1, using="auth_db"),
        django_assert_num_queries(0, using="primary"),
    ):
        response = anon.get(f"/api/articles/?page_size={page_size}", headers={"X-DB-Alias": replica})
    assert len(response.json()["results"]) == page_size
    counts = {item["title"]: item["comment_count"] for item in response.json()["results"]}
    assert counts["Article 119"] == 0
    # Newest first: a page of 100 reaches articles 29..20, two comments each.
    assert sum(counts.values()) == (20 if page_size == 100 else 0)


@pytest.mark.parametrize("page_size", [10, 100])
def test_comment_list_query_count_does_not_grow_with_page_size(
    anon, many_articles, django_assert_num_queries, page_size
):
    article = many_articles[0]
    Comment.objects.bulk_create(Comment(article=article, body="c", author_id=1) for _ in range(150))
    with django_assert_num_queries(2, using="replica1"), django_assert_num_queries(1, using="auth_db"):
        response = anon.get(f"/api/comments/?page_size={page_size}", headers={"X-DB-Alias": "replica1"})
    assert len(response.json()["results"]) == page_size
