from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.request import Request


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
def api_not_found(request: Request):
    path = request.path
    if not path.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "api-not-found":
            raise NotFound(f"No endpoint at {path}; did you mean {path}/ (with a trailing slash)?")
    raise NotFound(f"No endpoint at {path}. The API's endpoints are listed at /api/ and documented at /api/docs/.")
