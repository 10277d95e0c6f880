"""Read-side query building, shared by the viewsets.

Every list costs the same number of queries whatever the page size: comment
counts are annotated, and authors (on auth_db, another database, so no JOIN)
are fetched for the whole page in one prefetch query.
"""

from django.db.models import Count, QuerySet

from api.models import Article, Comment


def articles() -> QuerySet[Article]:
    return Article.objects.annotate(comment_count=Count("comments")).prefetch_related("author").order_by("-id")


def comments() -> QuerySet[Comment]:
    return Comment.objects.prefetch_related("author").order_by("id")
