from django.contrib import admin

from api.models import Article, Comment


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "author_id", "created_at"]
    raw_id_fields = ["author"]
    search_fields = ["title"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "article_id", "author_id", "created_at"]
    raw_id_fields = ["author", "article"]
