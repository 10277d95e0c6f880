"""One JSON shape for every error the API returns.

``{"detail": <message>, "code": <machine-readable code>}``, plus ``errors``
(field name -> messages) for invalid input. Database failures become a 503
that names the cause and the fix instead of a 500 with a traceback.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5
_MISSING_TABLE_MARKERS = ("no such table", "doesn't exist")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DatabaseError):
        return database_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = error_body(exc, response.data)
    return response


def error_body(exc: Exception, data) -> dict:
    if isinstance(exc, ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        return {"detail": "Invalid input.", "code": "invalid", "errors": errors}
    # DRF has turned Http404 and PermissionDenied into its own exceptions by
    # now; their message is an ErrorDetail that carries the code.
    detail = data.get("detail", "") if isinstance(data, dict) else data
    return {"detail": str(detail), "code": getattr(detail, "code", "error")}


def database_error_response(exc: DatabaseError) -> Response:
    message = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, OperationalError | ProgrammingError) and any(m in message for m in _MISSING_TABLE_MARKERS):
        return _unavailable(
            f"The database schema is missing ({message}). Run `python manage.py migrate` (`make run` does).",
            "database_not_migrated",
        )
    if isinstance(exc, OperationalError | InterfaceError):
        return _unavailable(
            f"A database could not be used: {message}. Check that the database server is running and that "
            "the database URLs in the environment or the .env file are right.",
            "database_unavailable",
        )
    if isinstance(exc, IntegrityError):
        return Response({"detail": f"The change conflicts with existing data: {message}.", "code": "conflict"}, 409)
    if isinstance(exc, DataError):
        return Response({"detail": f"The database rejected a value: {message}.", "code": "invalid"}, 400)
    # Anything else is a bug in a query, not the client's fault nor an outage.
    logger.exception("Unexpected database error")
    return Response({"detail": "The server failed to run a database query.", "code": "database_error"}, 500)


def _unavailable(detail: str, code: str) -> Response:
    logger.warning("Answered 503 %s: %s", code, detail)
    response = Response({"detail": detail, "code": code}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response
