"""Access to the routing app's settings.

Every value is read from ``django.conf.settings`` on first use, never at import
time, and kept until a setting changes: ``override_settings`` and the pytest
``settings`` fixture send ``setting_changed``, which clears them (as Django
REST framework does with its own settings). The routers ask for these values
on every query, so they must not be rebuilt each time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS

DEFAULT_AUTH_APPS = ("auth", "contenttypes", "sessions", "admin")
DEFAULT_COOKIE_NAME = "db_causal"

# Values accepted by the override besides the aliases themselves.
PRIMARY = "primary"
ANY_REPLICA = "replica"

# ROUTING_READ_YOUR_WRITES values. None (the default) means causal where the
# primary can report a replication position, window where it cannot.
CAUSAL = "causal"
WINDOW = "window"
OFF = "off"
READ_YOUR_WRITES_MODES = (CAUSAL, WINDOW, OFF)


# The settings object django.conf.settings currently wraps lives in its instance
# dict; reading it there skips LazyObject.__getattribute__, a Python-level call
# that every cached value would otherwise pay on every access.
_lazy_settings_state = vars(settings)


@dataclass(frozen=True, slots=True)
class HotSettings:
    """The settings that every request or query reads, as plain attributes of one object.

    ``routing_settings.hot`` costs one lookup (with the check that notices
    swapped settings); each value after it costs none, where each property of
    :class:`RoutingSettings` is a Python call of its own.
    """

    primary: str
    replicas: tuple[str, ...]
    # The aliases that open the primary's database: the primary, then
    # ``default`` when it is the same database under Django's name.
    primary_databases: tuple[str, ...]
    read_your_writes: str | None
    cookie_name: str
    report_headers: str
    report_to: str
    metrics_on: bool
    log_requests: bool
    # The aliases of DATABASES when every one of them can go into a response
    # header as it is (routing.reporting.stored_unchanged); else empty, and the
    # routing headers take Django's checked path.
    plain_aliases: frozenset[str]


def _cached(method):
    name = method.__name__

    @functools.wraps(method)
    def getter(self):
        holder = _lazy_settings_state["_wrapped"]
        if holder is not self._holder:
            self._adopt(holder)
        try:
            return self._values[name]
        except KeyError:
            value = self._values[name] = method(self)
            return value

    return property(getter)


class RoutingSettings:
    def __init__(self) -> None:
        self._values: dict[str, object] = {}
        # The settings object the values were read from. override_settings (and
        # pytest-django's settings fixture) swap it in and out; deleting a
        # setting that way sends no setting_changed, so the swap is what tells.
        self._holder: object = None
        # Bumped whenever settings change: caches derived from them compare it.
        self.generation = 0

    def clear(self) -> None:
        self._values.clear()
        self.generation += 1

    def _adopt(self, holder: object) -> None:
        self.clear()
        self._holder = holder

    @_cached
    def primary(self) -> str:
        """Alias that receives every write and every pinned read; Django's ``default`` unless set."""
        return getattr(settings, "ROUTING_PRIMARY", DEFAULT_DB_ALIAS)

    @_cached
    def replicas(self) -> tuple[str, ...]:
        """Aliases that serve the reads of safe requests; none unless set (reads then stay on the primary)."""
        return tuple(getattr(settings, "ROUTING_REPLICAS", ()))

    @_cached
    def auth_db(self) -> str | None:
        """Alias that holds the apps listed in ``auth_apps``; None: no database of their own.

        Without one, the auth apps are routed like every other app: writes to
        the primary, reads to the request's replica.
        """
        return getattr(settings, "ROUTING_AUTH_DB", None)

    @_cached
    def auth_replicas(self) -> tuple[str, ...]:
        """Read-only copies of ``auth_db``, used for auth reads only while it is unreachable."""
        return tuple(getattr(settings, "ROUTING_AUTH_REPLICAS", ()))

    @_cached
    def all_replicas(self) -> tuple[str, ...]:
        """Every read-only alias: never migrated, never written."""
        return (*self.replicas, *self.auth_replicas)

    @_cached
    def auth_apps(self) -> frozenset[str]:
        """App labels whose models always live on ``auth_db``."""
        return frozenset(getattr(settings, "ROUTING_AUTH_APPS", DEFAULT_AUTH_APPS))

    @_cached
    def allow_override(self) -> str:
        """Who may use the override (see :mod:`routing.access`): ``all`` under DEBUG, else ``primary-only``."""
        value = getattr(settings, "ROUTING_ALLOW_OVERRIDE", None)
        if value is None:
            return "all" if settings.DEBUG else "primary-only"
        return value

    @_cached
    def max_replica_lag(self) -> float:
        """Seconds a replica may trail the primary before it counts as unhealthy."""
        return float(getattr(settings, "ROUTING_MAX_REPLICA_LAG", 5))

    @_cached
    def max_replica_lag_bytes(self) -> int:
        """Where an engine reports lag in bytes (PostgreSQL): lag counts only when over this too.

        A standby's replay timestamp stands still while the primary is idle, so
        its lag in seconds alone would call a caught-up standby minutes behind.
        """
        return int(getattr(settings, "ROUTING_MAX_REPLICA_LAG_BYTES", 16 * 1024 * 1024))

    @_cached
    def read_your_writes(self) -> str | None:
        """``causal``, ``window``, ``off``, or None for causal-where-supported."""
        return getattr(settings, "ROUTING_READ_YOUR_WRITES", None)

    @_cached
    def causal_timeout(self) -> float:
        """Seconds a causal read may wait for a replica to apply the client's write."""
        return float(getattr(settings, "ROUTING_CAUSAL_TIMEOUT", 0.2))

    @_cached
    def causal_token_ttl(self) -> int:
        """Seconds a causal token (and its cookie) is honoured."""
        return int(getattr(settings, "ROUTING_CAUSAL_TOKEN_TTL", 60))

    @_cached
    def pin_seconds(self) -> float:
        """In window mode: how long a client that wrote reads from the primary."""
        return float(getattr(settings, "ROUTING_PIN_SECONDS", 5))

    @_cached
    def cooldown(self) -> float:
        """Seconds an unhealthy replica stays out of the pick before it is tried again."""
        return float(getattr(settings, "ROUTING_COOLDOWN", 10))

    @_cached
    def health_interval(self) -> float:
        """Seconds a replica's health is trusted before it is checked again."""
        return float(getattr(settings, "ROUTING_HEALTH_INTERVAL", 2))

    @_cached
    def health_timeout(self) -> float:
        """Connect and read timeout of one health check, in seconds."""
        return float(getattr(settings, "ROUTING_HEALTH_TIMEOUT", 1))

    @_cached
    def retry_after(self) -> int:
        """The Retry-After of a 503 while the primary is down."""
        return int(getattr(settings, "ROUTING_RETRY_AFTER", 5))

    @_cached
    def report_headers(self) -> str:
        """Which routing headers responses carry: all, alias (X-DB-Alias only) or none (see routing.reporting)."""
        return getattr(settings, "ROUTING_REPORT_HEADERS", "all")

    @_cached
    def report_to(self) -> str:
        """Who gets them: everyone, or staff (staff users; everyone under DEBUG)."""
        return getattr(settings, "ROUTING_REPORT_TO", "everyone")

    @_cached
    def cookie_name(self) -> str:
        """The causal token's cookie."""
        return getattr(settings, "ROUTING_COOKIE_NAME", DEFAULT_COOKIE_NAME)

    @_cached
    def cookie_secure(self) -> bool | None:
        """Secure flag of the token cookie; None: when the request came over HTTPS."""
        return getattr(settings, "ROUTING_COOKIE_SECURE", None)

    @_cached
    def cookie_httponly(self) -> bool:
        return getattr(settings, "ROUTING_COOKIE_HTTPONLY", True)

    @_cached
    def cookie_samesite(self) -> str | None:
        return getattr(settings, "ROUTING_COOKIE_SAMESITE", "Lax")

    @_cached
    def metrics(self) -> bool | None:
        """ROUTING_METRICS: None (count when prometheus_client is installed), True or False."""
        return getattr(settings, "ROUTING_METRICS", None)

    @_cached
    def metrics_on(self) -> bool:
        from routing.metrics import enabled

        return enabled()

    @_cached
    def metrics_token(self) -> str:
        """The bearer token /metrics asks for; empty: loopback clients only."""
        return getattr(settings, "ROUTING_METRICS_TOKEN", "")

    @_cached
    def log_requests(self) -> bool:
        """One parseable log line per request (logger ``routing.requests``)."""
        return getattr(settings, "ROUTING_LOG_REQUESTS", False)

    @_cached
    def doctor_start_hint(self) -> str:
        """How this project starts its database servers, for the doctor's advice."""
        return getattr(settings, "ROUTING_DOCTOR_START_HINT", "")

    @_cached
    def doctor_url_variables(self) -> dict[str, str]:
        """Alias -> the environment variable that configures it, for the doctor's advice."""
        return dict(getattr(settings, "ROUTING_DOCTOR_URL_VARIABLES", {}))

    @_cached
    def default_is_primary(self) -> bool:
        """Whether Django's ``default`` alias opens the primary's database under another name."""
        from routing.aliases import same_database

        databases = settings.DATABASES
        primary = self.primary
        return (
            primary != DEFAULT_DB_ALIAS
            and primary in databases
            and same_database(databases[DEFAULT_DB_ALIAS], databases[primary])
        )

    @_cached
    def data_aliases(self) -> tuple[str, ...]:
        """The primary and its replicas: the aliases that serve API data."""
        return (self.primary, *self.replicas)

    @_cached
    def hot(self) -> HotSettings:
        """The values the middleware, the routers and the query recorder read on every request or query."""
        return HotSettings(
            primary=self.primary,
            replicas=self.replicas,
            primary_databases=(self.primary, DEFAULT_DB_ALIAS) if self.default_is_primary else (self.primary,),
            read_your_writes=self.read_your_writes,
            cookie_name=self.cookie_name,
            report_headers=self.report_headers,
            report_to=self.report_to,
            metrics_on=self.metrics_on,
            log_requests=self.log_requests,
            plain_aliases=self.plain_aliases,
        )

    @_cached
    def plain_aliases(self) -> frozenset[str]:
        """Every alias of DATABASES if each can be a header value unchanged, else none (see HotSettings)."""
        from routing.reporting import stored_unchanged

        aliases = frozenset(settings.DATABASES)
        return aliases if all(stored_unchanged(alias) for alias in aliases) else frozenset()

    @_cached
    def override_values(self) -> tuple[str, ...]:
        """Everything a client may send in ``X-DB-Alias`` or ``?db=``."""
        return (PRIMARY, ANY_REPLICA, *self.replicas)


routing_settings = RoutingSettings()


def _forget_settings(**kwargs) -> None:
    routing_settings.clear()


setting_changed.connect(_forget_settings, dispatch_uid="routing.conf")
