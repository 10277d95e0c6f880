"""Request limits enforced before any view runs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.deprecation import MiddlewareMixin

_COMPACT_JSON = {"separators": (",", ":")}


class RequestBodyLimitMiddleware(MiddlewareMixin):
    """Refuse a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with a JSON 413.

    Django enforces that setting only when ``request.body`` is read; DRF's
    parsers read the stream directly and would accept any size. The declared
    length is checked before a byte is read (a WSGI server passes on no more
    than that many). It sits inside the routing middleware so the refusal
    carries the routing headers like every other response. (``MiddlewareMixin``
    makes it work under WSGI and ASGI alike.)
    """

    def process_request(self, request: HttpRequest) -> JsonResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            return _error(400, f"Content-Length {declared!r} is not a number of bytes.", "bad_request")
        if limit is not None and length > limit:
            return _error(
                413,
                f"The request body is {length} bytes; this server accepts at most {limit}.",
                "request_too_large",
            )
        return None


def _error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status, json_dumps_params=_COMPACT_JSON)
