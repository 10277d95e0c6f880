"""Per-request database routing for Django: writes to the primary, reads to a healthy replica.

The public API is what ``__all__`` names; everything else in the package may
change between releases. Names load on first use, so importing ``routing``
(as ``INSTALLED_APPS`` does) touches neither the settings nor the database.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> the module that defines it.
_PUBLIC = {
    "pin": "routing.pinning",
    "current_route": "routing.state",
    "Route": "routing.state",
    "RoutingMiddleware": "routing.middleware",
    "PrimaryReplicaRouter": "routing.routers",
    "AuthRouter": "routing.routers",
    "routing_settings": "routing.conf",
    "health_snapshot": "routing.snapshot",
    "explain_connection_failure": "routing.doctor",
}

# Public names that differ from the name in their module.
_DEFINED_AS = {"health_snapshot": "snapshot"}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    try:
        module = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'routing' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), _DEFINED_AS.get(name, name))
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
