"""Who may use the routing override: the ``ROUTING_ALLOW_OVERRIDE`` policy.

The override is a debugging tool, and a dangerous one in the open: anyone who
can name an alias can aim load at one server. The policy says who may:

``all``
    anyone may send any accepted value (the default with DEBUG on);
``primary-only``
    anyone may ask for ``primary`` (read-after-write) or ``replica`` (the
    router's own pick); naming one replica needs a staff user (the default
    with DEBUG off);
``staff``
    only staff users may use the override at all;
``off``
    nobody may.

A refused override is a 403 whose body lists the values this client may send.
Staff users are recognised from their session (``SessionMiddleware`` must run
before the routing middleware) or from HTTP Basic credentials, checked only
when a refusal is otherwise due.
"""

from __future__ import annotations

import base64
import binascii
import logging

from django.contrib.auth import authenticate, get_user
from django.db import DatabaseError
from django.http import HttpRequest

from routing.conf import ANY_REPLICA, PRIMARY, routing_settings
from routing.overrides import Override, OverrideRejected

logger = logging.getLogger(__name__)

ALL = "all"
PRIMARY_ONLY = "primary-only"
STAFF = "staff"
OFF = "off"
POLICIES = (ALL, PRIMARY_ONLY, STAFF, OFF)

# What a client that is not staff may send under each policy.
_OPEN_VALUES = {PRIMARY_ONLY: (PRIMARY, ANY_REPLICA), STAFF: (), OFF: ()}


class OverrideForbidden(OverrideRejected):
    """The override is valid, but this client may not use it."""

    status_code = 403


def check_permitted(request: HttpRequest, override: Override) -> None:
    """Raise :class:`OverrideForbidden` unless the policy lets this client use ``override``."""
    policy = routing_settings.allow_override
    if policy == ALL:
        return
    open_values = _OPEN_VALUES.get(policy, ())  # an unknown policy fails closed (and a system check says so)
    if override.value in open_values:
        return
    if policy != OFF and _is_known_staff(request):
        return
    raise OverrideForbidden(_explain(policy, override, open_values), "override_forbidden", allowed=open_values)


def _explain(policy: str, override: Override, open_values: tuple[str, ...]) -> str:
    if policy == OFF:
        return "Routing overrides are disabled on this server (ROUTING_ALLOW_OVERRIDE=off); drop the override."
    if open_values:
        allowed = " or ".join(repr(value) for value in open_values)
        return (
            f"Only staff users may send {override.value!r} (ROUTING_ALLOW_OVERRIDE={policy}); "
            f"you may send {allowed}, or drop the override."
        )
    return f"Only staff users may use routing overrides (ROUTING_ALLOW_OVERRIDE={policy}); drop the override."


def _is_known_staff(request: HttpRequest) -> bool:
    """Whether the client is a staff user; not when auth_db cannot tell (the override is refused)."""
    try:
        return _is_staff(request)
    except DatabaseError as error:
        logger.warning("Cannot check for a staff user, so the routing override is refused: %s", error)
        return False


def _is_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None and hasattr(request, "session"):
        # What AuthenticationMiddleware will find; cached where it looks, so it is looked up once.
        user = request._cached_user = get_user(request)
    if user is not None and user.is_authenticated:
        return bool(user.is_active and user.is_staff)
    credentials = _basic_credentials(request)
    if credentials is None:
        return False
    user = authenticate(request, username=credentials[0], password=credentials[1])
    return bool(user is not None and user.is_active and user.is_staff)


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        username, separator, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None  # DRF's BasicAuthentication answers malformed credentials with its own 401
    return (username, password) if separator else None
