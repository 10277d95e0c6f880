"""Causal tokens: what a client carries from its write to its next read.

A token is signed with the project's SECRET_KEY, so a client can neither
forge one nor aim a read at an arbitrary position; a token that fails the
signature, or names a malformed position, is ignored and never reaches SQL.
It is sent back as the ``X-DB-Causal-Token`` response header and as the
``db_causal`` cookie, and read from either.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core import signing

from routing.conf import CAUSAL, DEFAULT_COOKIE_NAME, OFF, WINDOW, routing_settings
from routing.engines import positions_named

HEADER_NAME = "X-DB-Causal-Token"
COOKIE_NAME = DEFAULT_COOKIE_NAME  # ROUTING_COOKIE_NAME changes it
_HEADER_META_KEY = "HTTP_X_DB_CAUSAL_TOKEN"
_SALT = "routing.causal-token"


class InvalidToken(Exception):
    """The client sent a token this server did not issue, or one that is damaged."""


@dataclass(frozen=True, slots=True)
class CausalToken:
    mode: str  # causal or window
    written_at: float  # time.time() of the write
    scheme: str = ""  # how to read `position` (a routing.engines position scheme)
    position: str = ""  # the write's replication position (causal mode)

    def encode(self) -> str:
        payload = {"m": self.mode, "t": round(self.written_at, 3), "s": self.scheme, "p": self.position}
        return signing.dumps(payload, salt=_SALT, compress=True)

    @property
    def age(self) -> float:
        return time.time() - self.written_at


def decode(raw: str) -> CausalToken:
    """The token in ``raw``, or :class:`InvalidToken`."""
    try:
        payload = signing.loads(raw, salt=_SALT)
        token = CausalToken(
            mode=str(payload["m"]), written_at=float(payload["t"]), scheme=str(payload["s"]), position=str(payload["p"])
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise InvalidToken(str(error)) from None
    if token.mode not in {CAUSAL, WINDOW}:
        raise InvalidToken(f"unknown mode {token.mode!r}")
    if token.mode == CAUSAL:
        scheme = positions_named(token.scheme)
        if scheme is None or not scheme.is_valid(token.position):
            raise InvalidToken("malformed replication position")
    return token


def presented(request, cookie_name: str | None = None) -> str | None:
    """The raw token the request carries: the header wins over the cookie (``cookie_name``, else the setting's)."""
    header = request.META.get(_HEADER_META_KEY, "").strip()
    return header or request.COOKIES.get(cookie_name or routing_settings.cookie_name) or None


def lifetime(token: CausalToken) -> float:
    """Seconds the token matters: the window, or the causal token's time to live."""
    return routing_settings.pin_seconds if token.mode == WINDOW else routing_settings.causal_token_ttl


def issue(log) -> CausalToken | None:
    """The token for a response whose request committed writes on the primary, if any.

    Causal when the primary reported the write's position (and the mode allows
    it); a window token when it could not (SQL servers without GTIDs) or the
    mode asks for one.
    """
    if not log.committed:
        return None
    mode = routing_settings.read_your_writes
    if mode == OFF:
        return None
    if mode != WINDOW and log.position:
        return CausalToken(CAUSAL, time.time(), log.position_scheme, log.position)
    return CausalToken(WINDOW, time.time())
