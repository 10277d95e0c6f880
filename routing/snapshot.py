"""Every alias, checked now: what the health endpoint (/api/health/) answers."""

from __future__ import annotations

import time

from routing import probes
from routing.conf import routing_settings
from routing.health import registry


def snapshot() -> dict:
    now = time.monotonic()
    primary_alias = routing_settings.primary
    primary = {"alias": primary_alias, "role": "primary", **probes.writable(primary_alias).as_dict()}
    aliases = [primary]
    for state in registry.check_all():
        aliases.append(
            {
                "alias": state.alias,
                "role": "replica",
                "reachable": bool(state.reachable),
                "lag_seconds": state.lag_seconds,
                "lag_bytes": state.lag_bytes,
                "delay_seconds": state.delay_seconds,
                "position": state.applied,
                "in_pick": state.healthy and not state.cooling_down(now),
                "reason": state.reason,
                "excluded_for_seconds": round(max(0.0, state.excluded_until - now), 1),
            }
        )
    auth = routing_settings.auth_db
    if auth is not None and auth != routing_settings.primary:
        aliases.append({"alias": auth, "role": "auth", **probes.writable(auth).as_dict()})
    return {"primary_reachable": primary["reachable"], "aliases": aliases}
