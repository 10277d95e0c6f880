"""Per-user rate limit on writes: a client cannot flood the primary."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from project.counters import count_event


class WriteRateThrottle(UserRateThrottle):
    """``DEFAULT_THROTTLE_RATES["writes"]`` per user.

    Reads are never counted: they go to the replicas, which is what replicas
    are for. Anonymous writes never get here: they are refused (401) first.
    Over the limit, DRF answers 429 with ``Retry-After``.

    The window opens at a user's first write and counts atomically in the
    cache (project.counters), so with a shared cache (REDIS_URL) the limit
    holds across every worker and server: DRF's own list of timestamps is
    read, changed and written back, and concurrent writes lose counts.
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
        if request.method in SAFE_METHODS or self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.tally = count_event(key, self.duration)
        return self.tally.count <= self.num_requests

    def wait(self) -> int:
        return self.tally.seconds_left()
