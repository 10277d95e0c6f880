"""Reading and validating the client's routing override.

A client may send ``X-DB-Alias: <value>`` or ``?db=<value>``; both name the
same thing. Anything outside :attr:`RoutingSettings.override_values` is
refused, so a client can never aim a request at an arbitrary alias such as
``auth_db`` or ``default``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest

from routing import reasons
from routing.conf import PRIMARY, routing_settings

HEADER_NAME = "X-DB-Alias"
QUERY_PARAM = "db"
_HEADER_META_KEY = "HTTP_X_DB_ALIAS"


@dataclass(frozen=True, slots=True)
class Override:
    value: str
    source: str  # reasons.HEADER or reasons.QUERY_PARAM


class OverrideRejected(Exception):
    """The override cannot be honoured; the request must not run."""

    status_code = 400

    def __init__(self, detail: str, code: str, allowed: tuple[str, ...] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.allowed = routing_settings.override_values if allowed is None else allowed

    def as_dict(self) -> dict[str, object]:
        return {"detail": self.detail, "code": self.code, "allowed": list(self.allowed)}

    @classmethod
    def unknown(cls, value: str, where: str) -> OverrideRejected:
        allowed = ", ".join(routing_settings.override_values)
        return cls(f"{where} {value!r} is not a routing target. Use one of: {allowed}.", "invalid_db_alias")

    @classmethod
    def replica_write(cls, override: Override, method: str) -> OverrideRejected:
        return cls(
            f"A {method} request writes and must run on the primary; it cannot be sent to "
            f"{override.value!r}. Drop the override or use 'primary'.",
            "replica_not_writable",
            allowed=(PRIMARY,),
        )


def _describe(source: str) -> str:
    return f"{HEADER_NAME} header" if source == reasons.HEADER else f"Query parameter '{QUERY_PARAM}'"


def _db_params(request: HttpRequest) -> list[str]:
    try:
        return request.GET.getlist(QUERY_PARAM)
    except SuspiciousOperation as error:  # e.g. more query parameters than Django accepts
        raise OverrideRejected(f"The query string was refused: {error}", "bad_request") from None


def read_override(request: HttpRequest) -> Override | None:
    """The override the request carries, validated, or ``None``.

    An empty ``db`` parameter counts as absent (forms send empty fields); an
    empty header is refused. Raises :class:`OverrideRejected` for unknown
    values, a repeated ``db`` parameter, and a header and parameter that
    disagree.
    """
    header = request.META.get(_HEADER_META_KEY)
    query_string = request.META.get("QUERY_STRING")
    if header is None and not query_string:
        return None  # most requests: nothing to read
    if header is not None:
        header = header.strip()
        if not header:
            raise OverrideRejected.unknown(header, _describe(reasons.HEADER))
    params = _db_params(request) if query_string else []
    if params:
        params = [value for value in params if value]
    if len(set(params)) > 1:
        raise OverrideRejected(
            f"Query parameter '{QUERY_PARAM}' is given {len(params)} times with different values; give it once.",
            "conflicting_db_alias",
        )
    param = params[0] if params else ""
    if header and param and header != param:
        raise OverrideRejected(
            f"{HEADER_NAME} header says {header!r} but query parameter '{QUERY_PARAM}' says {param!r}; "
            "send one of them, or the same value in both.",
            "conflicting_db_alias",
        )

    if header:
        override = Override(header, reasons.HEADER)
    elif param:
        override = Override(param, reasons.QUERY_PARAM)
    else:
        return None
    if override.value not in routing_settings.override_values:
        raise OverrideRejected.unknown(override.value, _describe(override.source))
    return override
