from django.apps import apps
from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from api.views import ArticleViewSet, CommentViewSet
from api.views_fallback import api_not_found
from api.views_health import HealthView

router = DefaultRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("comments", CommentViewSet, basename="comment")

# The health endpoint reports the routing app's view of the databases; with
# ROUTING=off (a benchmark baseline) there is none.
health = [path("health/", HealthView.as_view(), name="health")] if apps.is_installed("routing") else []

urlpatterns = [
    *router.urls,  # first: the requests that need to be fast resolve on their first match
    *health,
    # Last: any other /api/ path is a JSON 404, never Django's HTML page.
    re_path(r"^.*$", api_not_found, name="api-not-found"),
]
