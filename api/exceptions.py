"""One JSON shape for every error the API returns.

``{"detail": <message>, "code": <machine-readable code>}``, plus ``errors``
(field name -> messages) for invalid input. Database failures become a 503
that names the cause and the fix instead of a 500 with a traceback.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5
# SQLite and MySQL/MariaDB wordings of "the schema is not what the code expects".
_SCHEMA_MARKERS = ("no such table", "doesn't exist", "no such column", "Unknown column")
# PostgreSQL says it with an SQLSTATE: undefined_table, undefined_column. (Not by
# its words: 'database "x" does not exist' is a connection failure.)
_SCHEMA_SQLSTATES = {"42P01", "42703"}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DatabaseError):
        return database_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not the client's fault: log it with its traceback, answer JSON.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response({"detail": "The server failed to handle the request.", "code": "server_error"}, 500)
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
    """A JSON answer naming the kind of failure and its fix.

    The driver's own message (hosts, users, table names) is logged, and shown
    to the client only with DEBUG on.
    """
    message = str(exc).strip() or exc.__class__.__name__
    logger.warning("Database error: %s", message)
    cause = f": {message}" if settings.DEBUG else ""
    if isinstance(exc, OperationalError | ProgrammingError) and _schema_is_missing(exc, message):
        return _unavailable(
            f"The database schema is missing or out of date{cause}. Run `python manage.py migrate` (`make run` does).",
            "database_not_migrated",
        )
    if isinstance(exc, OperationalError | InterfaceError):
        return _unavailable(
            f"A database is unavailable{cause}. Check that the database servers are running; "
            "`python manage.py dbdoctor` names the cause and the fix.",
            "database_unavailable",
        )
    if isinstance(exc, IntegrityError):
        return Response({"detail": f"The change conflicts with existing data{cause}.", "code": "conflict"}, 409)
    if isinstance(exc, DataError):
        return Response({"detail": f"The database rejected a value{cause}.", "code": "invalid"}, 400)
    # Anything else is a bug in a query, not the client's fault nor an outage.
    logger.exception("Unexpected database error", exc_info=exc)
    return Response({"detail": "The server failed to run a database query.", "code": "database_error"}, 500)


def _schema_is_missing(exc: DatabaseError, message: str) -> bool:
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate in _SCHEMA_SQLSTATES or any(marker in message for marker in _SCHEMA_MARKERS)


def _unavailable(detail: str, code: str) -> Response:
    response = Response({"detail": detail, "code": code}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response
