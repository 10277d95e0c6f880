"""The application's own connections, as routing opens them: one helper, one failure rule.

A connection that routing needs (the primary before a write, the replica a read
was sent to, an auth replica) is opened here. Opening it costs nothing extra,
since the request's first query would open it anyway; a failure takes the alias
out of the pick for ``ROUTING_COOLDOWN`` (see routing.health).
"""

from __future__ import annotations

import threading
import time

from django.db import DatabaseError, connections

from routing.conf import HotSettings, routing_settings
from routing.health import registry
from routing.state import current_route

_thread = threading.local()


def connection_for(alias: str):
    """``connections[alias]``, cached for this thread.

    Django's handler resolves the wrapper through asgiref's Local (about 1.4 µs
    a lookup) and the router needs it on every read. Sync code, the only place
    the ORM runs (under ASGI too, in sync_to_async's thread), gets one wrapper
    per thread, so a thread-local cache returns the same object. A settings
    change (tests replacing DATABASES) starts a new cache.
    """
    generation = routing_settings.generation
    if getattr(_thread, "generation", None) != generation:
        _thread.generation, _thread.wrappers = generation, {}
    wrappers = _thread.wrappers
    try:
        return wrappers[alias]
    except KeyError:
        wrapper = wrappers[alias] = connections[alias]
        return wrapper


def primary_connections(hot: HotSettings | None = None) -> tuple:
    """The wrappers of the primary's database that exist in this thread: the primary's, ``default``'s.

    The connections a transaction on the primary's database may be open on
    (``default`` when it is the primary's database under Django's name): the
    routers look at them before every query, so the tuple is kept per thread,
    like :func:`connection_for`'s wrappers, until settings change (which makes
    a new ``routing_settings.hot``). ``hot``: the settings a request's log was
    made under, when the routers have one.

    Only wrappers that exist already are in it: Django visits every wrapper it
    has made at each request's start and end, so routing must not make one
    that nothing uses (a thread that only reads never needs the primary's).
    A wrapper can only hold a transaction once it has connected, and
    connecting announces it (routing.recorder calls
    :func:`forget_primary_connections`), so the tuple is made again then.
    """
    hot = hot or routing_settings.hot
    cached = getattr(_thread, "primaries", None)
    if cached is not None and cached[0] is hot:
        return cached[1]
    made = {connection.alias for connection in connections.all(initialized_only=True)}
    primaries = tuple(connection_for(alias) for alias in hot.primary_databases if alias in made)
    _thread.primaries = (hot, primaries)
    return primaries


def forget_primary_connections() -> None:
    """A connection of the primary's database connected in this thread: the transaction check looks again.

    Both copies of :func:`primary_connections`'s tuple are dropped: this
    thread's, and the one the current request's log keeps (routing.routers).
    """
    _thread.primaries = None
    route = current_route()
    if route is not None:
        route.log.primaries = None


def open_connection(alias: str) -> None:
    """Open ``alias``'s connection unless it is open; raises DatabaseError when it cannot.

    An open connection is not pinged unless CONN_HEALTH_CHECKS asks for it.
    """
    _open(connection_for(alias))


def _open(connection) -> None:
    if connection.health_check_enabled:
        connection.close_if_health_check_failed()
    if connection.connection is None:
        connection.ensure_connection()


def usable(alias: str) -> bool:
    """Whether ``alias``'s connection is open, or opens now; a failure leaves it out for the cooldown."""
    connection = connection_for(alias)
    if connection.connection is None and registry.state(alias).cooling_down(time.monotonic()):
        return False
    try:
        _open(connection)
    except DatabaseError as error:
        registry.mark_failed(alias, error)
        return False
    return True
