from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.models import Article, Comment


class TextField(serializers.CharField):
    """Text, and only text: DRF's CharField turns 0 or true into "0" and "True"; the schema says string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
    }


def _author_username() -> serializers.CharField:
    # Null when the author's account was deleted: articles outlive users
    # because no cascade crosses from auth_db to the primary.
    return serializers.CharField(source="author.username", read_only=True, allow_null=True)


class ArticleSerializer(TextModelSerializer):
    # A default (not just required=False) so PUT replaces the body too;
    # PATCH leaves fields it does not name alone.
    body = TextField(allow_blank=True, required=False, default="")
    author = _author_username()
    comment_count = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = ["id", "title", "body", "author", "comment_count", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_comment_count(self, article: Article) -> int:
        # Annotated by the list and detail querysets; a new article has none.
        return getattr(article, "comment_count", 0)


class CommentSerializer(TextModelSerializer):
    author = _author_username()

    class Meta:
        model = Comment
        fields = ["id", "article", "body", "author", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_article(self, article: Article) -> Article:
        if self.instance is not None and article.pk != self.instance.article_id:
            raise serializers.ValidationError("A comment cannot be moved to another article.")
        return article
