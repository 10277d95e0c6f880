"""Access to the routing app's settings.

Every property reads ``django.conf.settings`` when it is used, never at import
time, so ``override_settings`` and the pytest ``settings`` fixture take effect
immediately.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

DEFAULT_AUTH_APPS = ("auth", "contenttypes", "sessions", "admin")

# Values accepted by the override besides the aliases themselves.
PRIMARY = "primary"
ANY_REPLICA = "replica"


class RoutingSettings:
    @property
    def primary(self) -> str:
        """Alias that receives every write and every pinned read."""
        return getattr(settings, "ROUTING_PRIMARY", "primary")

    @property
    def replicas(self) -> tuple[str, ...]:
        """Aliases that serve the reads of safe requests."""
        return tuple(getattr(settings, "ROUTING_REPLICAS", ("replica1", "replica2")))

    @property
    def auth_db(self) -> str:
        """Alias that holds the apps listed in ``auth_apps``."""
        return getattr(settings, "ROUTING_AUTH_DB", "auth_db")

    @property
    def auth_apps(self) -> frozenset[str]:
        """App labels whose models always live on ``auth_db``."""
        return frozenset(getattr(settings, "ROUTING_AUTH_APPS", DEFAULT_AUTH_APPS))

    @property
    def max_replica_lag(self) -> float:
        """Seconds a replica may trail the primary before it counts as unhealthy."""
        return float(getattr(settings, "ROUTING_MAX_REPLICA_LAG", 5))

    @property
    def doctor_start_hint(self) -> str:
        """How this project starts its database servers, for the doctor's advice."""
        return getattr(settings, "ROUTING_DOCTOR_START_HINT", "")

    @property
    def doctor_url_variables(self) -> dict[str, str]:
        """Alias -> the environment variable that configures it, for the doctor's advice."""
        return dict(getattr(settings, "ROUTING_DOCTOR_URL_VARIABLES", {}))

    @property
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

    @property
    def data_aliases(self) -> tuple[str, ...]:
        """The primary and its replicas: the aliases that serve API data."""
        return (self.primary, *self.replicas)

    @property
    def override_values(self) -> tuple[str, ...]:
        """Everything a client may send in ``X-DB-Alias`` or ``?db=``."""
        return (PRIMARY, ANY_REPLICA, *self.replicas)


routing_settings = RoutingSettings()
