"""Engine adapters: one package per database engine, found by the connection's vendor.

Generic code asks ``adapter_for(connection)`` and the adapter's ``features``;
it never compares vendor names. To support another engine, add a package here
with an ``ENGINE`` (an :class:`~routing.engines.base.Engine`) and its position
schemes in ``POSITIONS``, and name it in ``_PACKAGES``.
"""

from __future__ import annotations

import functools
from importlib import import_module

from routing.engines.base import Engine, Positions

# Django's connection.vendor -> the package that adapts it.
_PACKAGES = {
    "sqlite": "routing.engines.sqlite",
    "mysql": "routing.engines.mysql",
    "postgresql": "routing.engines.postgresql",
}
_UNKNOWN = "routing.engines.unknown"
# The last part of a DATABASES ENGINE -> its vendor, for settings whose backend is not loaded yet.
_BACKEND_VENDORS = {"sqlite3": "sqlite", "mysql": "mysql", "postgresql": "postgresql"}


@functools.cache
def engine_named(vendor: str) -> Engine:
    return import_module(_PACKAGES.get(vendor, _UNKNOWN)).ENGINE


def adapter_for(connection) -> Engine:
    """The adapter of a Django connection (a DatabaseWrapper); it need not be open."""
    return engine_named(connection.vendor)


def engine_for_settings(config: dict) -> Engine:
    """The adapter of a DATABASES entry, without loading its backend (whose driver may be missing)."""
    backend = str(config.get("ENGINE", "")).rsplit(".", 1)[-1]
    return engine_named(_BACKEND_VENDORS.get(backend, "unknown"))


@functools.cache
def _schemes() -> dict[str, Positions]:
    schemes = {}
    for package in _PACKAGES.values():
        schemes.update({scheme.name: scheme for scheme in import_module(package).POSITIONS})
    return schemes


def positions_named(name: str) -> Positions | None:
    """The position scheme a causal token names, or None for a name no engine knows."""
    return _schemes().get(name)


__all__ = ["Engine", "Positions", "adapter_for", "engine_for_settings", "engine_named", "positions_named"]
