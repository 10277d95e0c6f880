"""Viewsets: HTTP in, services and selectors out.

They never choose a database: the routing middleware has already decided
where this request's reads go, and the services write through the routers.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors, services
from api.models import Article, Comment
from api.params import MAX_ID, whole_number
from api.permissions import IsAuthorOrReadOnly
from api.serializers import ArticleSerializer, CommentSerializer

ARTICLE_FILTER = OpenApiParameter(
    "article",
    {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    description="Only the comments of this article (its id).",
    required=False,
)


def not_found(model, raw: str) -> NotFound:
    """The one 404 wording of every object endpoint, whether the id is malformed or unknown."""
    return NotFound(f"No {model._meta.verbose_name} with id {raw!r}.")


class LookupByIdMixin:
    # get_object() that answers a malformed and an unknown id with the same JSON
    # 404: DRF's own answers "Not found." to `abc` and Django's "No Article
    # matches the given query." to `9999`; a client should not have to tell them
    # apart. (A comment, not a docstring: the schema would show a docstring as
    # every operation's description.)

    def get_object(self):
        raw = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        model = self.get_queryset().model
        number = whole_number(raw)
        if number is None:
            raise not_found(model, raw)
        try:
            instance = self.filter_queryset(self.get_queryset()).get(pk=number)
        except model.DoesNotExist:
            raise not_found(model, raw) from None
        self.check_object_permissions(self.request, instance)
        return instance


@extend_schema_view(
    list=extend_schema(summary="List articles, newest first"),
    create=extend_schema(summary="Create an article (you become its author)"),
    retrieve=extend_schema(summary="Read one article"),
    update=extend_schema(summary="Replace an article (author only)"),
    partial_update=extend_schema(summary="Change some fields of an article (author only)"),
    destroy=extend_schema(summary="Delete an article and its comments (author only)"),
)
class ArticleViewSet(LookupByIdMixin, viewsets.ModelViewSet):
    serializer_class = ArticleSerializer
    permission_classes = [IsAuthenticatedOrReadOnly, IsAuthorOrReadOnly]

    def get_queryset(self):
        # A delete shows nothing: no comment count, no author lookup.
        return Article.objects.all() if self.action == "destroy" else selectors.articles()

    def perform_create(self, serializer):
        serializer.instance = services.create_article(author=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_article(article=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_article(article=instance)

    @extend_schema(summary="List the comments of an article, oldest first", responses=CommentSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=CommentSerializer)
    def comments(self, request: Request, pk: str | None = None) -> Response:
        article_id = whole_number(pk or "")
        if article_id is None or not Article.objects.filter(pk=article_id).exists():
            raise not_found(Article, pk or "")
        page = self.paginate_queryset(selectors.comments().filter(article_id=article_id))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List comments, oldest first", parameters=[ARTICLE_FILTER]),
    create=extend_schema(summary="Comment on an article (you become its author)"),
    retrieve=extend_schema(summary="Read one comment"),
    update=extend_schema(summary="Replace a comment (author only)"),
    partial_update=extend_schema(summary="Change a comment (author only)"),
    destroy=extend_schema(summary="Delete a comment (author only)"),
)
class CommentViewSet(LookupByIdMixin, viewsets.ModelViewSet):
    serializer_class = CommentSerializer
    permission_classes = [IsAuthenticatedOrReadOnly, IsAuthorOrReadOnly]

    def get_queryset(self):
        if self.action == "destroy":
            return Comment.objects.all()
        queryset = selectors.comments()
        if self.action == "list":
            article = self.request.query_params.get("article", "")
            if article != "":  # sent empty: no filter
                queryset = queryset.filter(article_id=_filter_id("article", article))
        return queryset

    def perform_create(self, serializer):
        serializer.instance = services.create_comment(author=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_comment(
            comment=serializer.instance, body=serializer.validated_data.get("body", serializer.instance.body)
        )

    def perform_destroy(self, instance):
        services.delete_comment(comment=instance)


def _filter_id(name: str, raw: str) -> int:
    number = whole_number(raw)
    if number is None:
        raise ValidationError({name: [f"Must be a whole number (an id) from 0 to {MAX_ID}, not {raw!r}."]})
    return number
