"""Request body limits, enforced before any view runs, under WSGI and ASGI."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from project.errors import json_error

# Set in the ASGI scope by BodyLimitASGIMiddleware: how many bytes the body had
# when it was cut off.
OVERSIZED_SCOPE_KEY = "project.oversized_body"


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
            length = -1
        if length < 0:
            return json_error(400, f"Content-Length {declared!r} is not a number of bytes.", "bad_request")
        length = max(length, getattr(request, "scope", {}).get(OVERSIZED_SCOPE_KEY, 0))
        if limit is not None and length > limit:
            return json_error(
                413,
                f"The request body is {length} bytes; this server accepts at most {limit}.",
                "request_too_large",
            )
        return None


class BodyLimitASGIMiddleware:
    """Stop reading an ASGI request body at ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    Django's ASGI handler reads the whole body (to memory, then disk) before
    any middleware runs, whatever its size and whether or not it declared one.
    This wrapper counts the bytes as they arrive; past the limit it ends the
    body early and notes the size in the scope, and RequestBodyLimitMiddleware
    answers the 413 (with the routing headers, as under WSGI).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None:
            return await self.app(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            if OVERSIZED_SCOPE_KEY in scope:
                # Django now only listens for a disconnect while it answers:
                # the rest of the body is read and dropped, never stored.
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return message
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    scope[OVERSIZED_SCOPE_KEY] = received
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        return await self.app(scope, limited_receive, send)
