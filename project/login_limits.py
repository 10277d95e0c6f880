"""Failed logins are limited per username and per client address, before any password is checked.

``LOGIN_FAILURE_LIMIT`` failures (10) within ``LOGIN_FAILURE_WINDOW`` seconds
(300) for one username, or from one client address, and the next attempt with
that username or from that address is answered 429 with ``Retry-After`` in the
JSON error shape, without checking its password, until the window that the
first failure opened ends. This covers the login form (``/api/auth/login/``)
and HTTP Basic on every request. A successful login does not count.

Failures are counted from Django's ``user_login_failed`` signal, which both
the form and DRF's Basic authentication send through ``authenticate()``. The
counts live in Django's cache: with ``REDIS_URL`` they hold across every worker
and server sharing that Redis; with the local-memory default, per process.

The client address is ``REMOTE_ADDR``. Behind a proxy that is the proxy's, so
every client would share one budget: have the proxy limit by the real address
too, or set ``REMOTE_ADDR`` from a header only your proxy can set.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse
from django.urls import NoReverseMatch, reverse

from project.counters import count_event, current

_PREFIX = "login-failures"


def _limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", 10))


def _window() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_WINDOW", 300))


def _key(kind: str, value: str) -> str:
    # Hashed: usernames may hold characters a cache key must not (memcached) and are not secrets to store.
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{_PREFIX}:{kind}:{digest}"


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _subjects(username: str | None, address: str) -> list[str]:
    subjects = [_key("address", address)]
    if username:
        subjects.append(_key("username", username.casefold()))
    return subjects


def record_failure(username: str | None, address: str) -> None:
    """One more failure for the username and the address; the first opens the window."""
    for subject in _subjects(username, address):
        count_event(subject, _window())


def seconds_locked(username: str | None, address: str) -> int:
    """Seconds until this username and address may try again; 0 when they may now."""
    limit, wait = _limit(), 0
    for subject in _subjects(username, address):
        tally = current(subject)
        if tally is not None and tally.count >= limit:
            wait = max(wait, tally.seconds_left())
    return wait


@receiver(user_login_failed, dispatch_uid="project.login_limits")
def _count_failure(sender, credentials, request=None, **kwargs) -> None:
    if request is None:
        return  # not a request's login (a script's authenticate()): no address to count
    record_failure(credentials.get("username"), client_address(request))


def _login_path() -> str | None:
    try:
        return reverse("rest_framework:login")
    except NoReverseMatch:
        return None


def attempted_username(request: HttpRequest) -> str | None:
    """The username a request tries to log in with: the login form's, or HTTP Basic's; None if neither."""
    if request.method == "POST" and request.path == _login_path():
        return request.POST.get("username", "")
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""  # malformed credentials still count against the address
    return decoded.partition(":")[0]


class LoginFailureLimitMiddleware:
    """Refuses a login attempt (form or Basic) while its username or address is over the limit."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        username = attempted_username(request)
        if username is not None:
            wait = seconds_locked(username, client_address(request))
            if wait:
                response = JsonResponse(
                    {
                        "detail": f"Too many failed logins for this account or from this address; "
                        f"try again in {wait} s.",
                        "code": "login_throttled",
                    },
                    status=429,
                    json_dumps_params={"separators": (",", ":")},  # as every other error body
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)
