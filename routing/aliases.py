"""Facts about the configured aliases that the commands and checks share."""

from __future__ import annotations

from django.conf import settings

from routing.conf import routing_settings

_IDENTITY = ("ENGINE", "NAME", "HOST", "PORT")


def same_database(a: dict, b: dict) -> bool:
    """Whether two DATABASES entries open the same database."""
    return all(a.get(key) == b.get(key) for key in _IDENTITY)


def migration_aliases() -> list[str]:
    """The aliases ``migrate`` must run on, primary first.

    Replicas are left out (they receive schema by replication), and so is any
    alias that opens the same database as one already listed, such as
    ``default`` when it is another name for the primary.
    """
    databases = settings.DATABASES
    ordered = [routing_settings.primary, routing_settings.auth_db, *databases]
    targets: list[str] = []
    for alias in ordered:
        if alias in targets or alias not in databases or alias in routing_settings.all_replicas:
            continue
        if any(same_database(databases[alias], databases[target]) for target in targets):
            continue
        targets.append(alias)
    return targets


def duplicate_of(alias: str) -> str | None:
    """The migration alias that ``alias`` duplicates, if it is not one itself."""
    databases = settings.DATABASES
    for target in migration_aliases():
        if target != alias and same_database(databases[alias], databases[target]):
            return target
    return None
