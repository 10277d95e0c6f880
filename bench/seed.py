"""Benchmark data, written through the configuration named by ROUTING.

``python -m bench.seed users`` creates the same accounts (same ids) in
whichever database the current configuration keeps users in; ``content``
adds articles and comments (on the primary). Run by ``python -m bench``.
"""

from __future__ import annotations

import os
import sys

import django

AUTHORS = 20
ARTICLES = 200
COMMENTS = 1000
# Article 1 gets enough comments for a page of 100.
COMMENTS_ON_FIRST = 150


def seed_users() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from bench.servers import BENCH_PASSWORD, BENCH_USER

    users = get_user_model()
    if users.objects.filter(username=BENCH_USER).exists():
        return
    password = make_password(BENCH_PASSWORD)
    accounts = [users(pk=1, username=BENCH_USER, password=password)]
    accounts += [users(pk=n + 2, username=f"author{n}", password=password) for n in range(AUTHORS - 1)]
    users.objects.bulk_create(accounts)
    _advance_sequences(users)


def _advance_sequences(model) -> None:
    """Past the ids given explicitly: PostgreSQL's sequences do not move for them (SQLite and MariaDB do)."""
    from django.core.management.color import no_style
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def seed_content() -> None:
    from api.models import Article, Comment

    if Article.objects.exists():
        return
    articles = Article.objects.bulk_create(
        Article(title=f"Article {n}", body="Lorem ipsum " * 20, author_id=n % AUTHORS + 1) for n in range(ARTICLES)
    )
    comments = [Comment(article=articles[0], body="First!", author_id=2) for _ in range(COMMENTS_ON_FIRST)]
    comments += [
        Comment(article=articles[n % ARTICLES], body="A comment", author_id=n % AUTHORS + 1)
        for n in range(COMMENTS - COMMENTS_ON_FIRST)
    ]
    Comment.objects.bulk_create(comments)


def main(what: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    if "users" in what:
        seed_users()
    if "content" in what:
        seed_content()


if __name__ == "__main__":
    main(sys.argv[1:])
