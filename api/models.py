from django.conf import settings
from django.db import models


def _author_field() -> models.ForeignKey:
    # The author lives on auth_db, another database: no foreign-key constraint
    # can span the two, no reverse relation (it would make deleting a user query
    # article tables on auth_db), and no cascade across databases.
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class Article(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    author = _author_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    author = _author_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on article {self.article_id}"
