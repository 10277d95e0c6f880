"""Per-user rate limit on writes: a client cannot flood the primary."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class WriteRateThrottle(UserRateThrottle):
    """``DEFAULT_THROTTLE_RATES["writes"]`` per user.

    Reads are never counted: they go to the replicas, which is what replicas
    are for. Anonymous writes never get here: they are refused (401) first.
    Over the limit, DRF answers 429 with ``Retry-After``.
    """

    scope = "writes"

    def get_rate(self) -> str:
        # DRF reads the rates once, at import; read them per request so a
        # changed setting (tests, benchmarks) takes effect.
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(
                f'DEFAULT_THROTTLE_RATES has no "{self.scope}" rate; writes would be unthrottled.'
            ) from None

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
