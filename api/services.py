"""Write services: every write of the API goes through one of these.

Each runs in a transaction on the database the routers choose for writes, so
its reads see its own rows.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import router, transaction

from api.models import Article, Comment


def create_article(*, author: AbstractBaseUser, title: str, body: str = "") -> Article:
    article = Article(author=author, title=title, body=body)
    with transaction.atomic(using=router.db_for_write(Article)):
        article.save()
    return article


def update_article(*, article: Article, **changes: str) -> Article:
    for field, value in changes.items():
        setattr(article, field, value)
    with transaction.atomic(using=router.db_for_write(Article)):
        article.save(update_fields=[*changes, "updated_at"])
    return article


def delete_article(*, article: Article) -> None:
    # Its comments go with it: same database, so the cascade stays on one side.
    with transaction.atomic(using=router.db_for_write(Article)):
        article.delete()


def create_comment(*, author: AbstractBaseUser, article: Article, body: str) -> Comment:
    comment = Comment(author=author, article=article, body=body)
    with transaction.atomic(using=router.db_for_write(Comment)):
        comment.save()
    return comment


def update_comment(*, comment: Comment, body: str) -> Comment:
    comment.body = body
    with transaction.atomic(using=router.db_for_write(Comment)):
        comment.save(update_fields=["body"])
    return comment


def delete_comment(*, comment: Comment) -> None:
    with transaction.atomic(using=router.db_for_write(Comment)):
        comment.delete()
