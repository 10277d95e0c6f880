"""Django's error views, in JSON under /api/ (used when DEBUG is off).

Errors raised inside DRF views are already JSON (api/exceptions.py); these
cover what fails before or outside them, such as a request Django itself
refuses. Other paths (the admin) keep Django's HTML pages.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults

API_PREFIX = "/api/"


def json_error(status: int, detail: str, code: str) -> JsonResponse:
    """The API's error shape, for responses made outside DRF."""
    return JsonResponse({"detail": detail, "code": code}, status=status, json_dumps_params={"separators": (",", ":")})


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return json_error(400, "The request was malformed.", "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return json_error(403, "You may not do this.", "permission_denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return json_error(404, f"No endpoint at {request.path}.", "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return json_error(500, "The server failed to handle the request.", "server_error")
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return json_error(403, f"CSRF verification failed: {reason}", "csrf_failed")
    return csrf.csrf_failure(request, reason)
