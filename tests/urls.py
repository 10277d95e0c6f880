"""The project's URLs plus views that exist only to test the routing layer."""

from django.db import transaction
from django.http import JsonResponse
from django.urls import include, path
from rest_framework.decorators import api_view

from api.models import Article
from project.urls import handler400, handler403, handler404, handler500  # noqa: F401 - the same JSON error pages
from routing.pinning import pin
from routing.state import current_route


class Boom(RuntimeError):
    pass


def raising_view(request):
    Article.objects.count()  # some work on the request's route first
    with pin("primary"):
        raise Boom(f"raised while routed to {current_route().alias}")


def pinned_view(request):
    with pin("primary"):
        return JsonResponse({"count": Article.objects.count(), "alias": current_route().alias})


def atomic_read_view(request):
    with transaction.atomic(using="primary"):
        return JsonResponse({"count": Article.objects.count()})


def atomic_default_view(request):
    # transaction.atomic() without `using`: Django's most common idiom.
    with transaction.atomic():
        return JsonResponse({"count": Article.objects.count()})


@api_view(["GET"])
def drf_raising_view(request):
    raise Boom("a bug in a DRF view")


class Abort(Exception):
    pass


def rolled_back_write_view(request):
    try:
        with transaction.atomic(using="primary"):
            Article.objects.create(title="Never committed", author_id=1)
            raise Abort
    except Abort:
        return JsonResponse({"rolled_back": True}, status=409)


def no_query_view(request):
    return JsonResponse({"route": current_route().alias})


urlpatterns = [
    path("api/test/raise/", raising_view),
    path("api/test/pinned/", pinned_view),
    path("api/test/atomic-read/", atomic_read_view),
    path("api/test/atomic-default/", atomic_default_view),
    path("api/test/no-query/", no_query_view),
    path("api/test/rolled-back-write/", rolled_back_write_view),
    path("api/test/drf-raise/", drf_raising_view),
    path("", include("project.urls")),
]
