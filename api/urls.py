from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from api.views import ArticleViewSet, CommentViewSet
from api.views_fallback import api_not_found
from api.views_health import HealthView

router = DefaultRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("comments", CommentViewSet, basename="comment")

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    *router.urls,
    # Last: any other /api/ path is a JSON 404, never Django's HTML page.
    re_path(r"^.*$", api_not_found, name="api-not-found"),
]
