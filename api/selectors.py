"""Read-side query building, shared by the viewsets.

Every list costs the same number of queries whatever the page size, and the
same time whatever the table size:

- comment counts are a correlated subquery, evaluated for the rows of the
  page only (a ``Count`` annotation would GROUP BY the whole table before the
  LIMIT, and make the pagination's COUNT(*) aggregate it too);
- authors live on auth_db, another database, so there is no JOIN: they are
  fetched for the whole page in one prefetch query.
"""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from api.models import Article, Comment


def _comment_count() -> Subquery:
    per_article = Comment.objects.filter(article=OuterRef("pk")).order_by().values("article").annotate(count=Count("*"))
    return Coalesce(Subquery(per_article.values("count"), output_field=IntegerField()), 0)


def articles() -> QuerySet[Article]:
    return Article.objects.annotate(comment_count=_comment_count()).prefetch_related("author").order_by("-id")


def comments() -> QuerySet[Comment]:
    return Comment.objects.prefetch_related("author").order_by("id")
