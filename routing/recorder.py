"""Recording which alias really executed each query.

A wrapper is attached to each database connection when it opens (the
``connection_created`` signal, sent in the thread that runs the queries, also
under ASGI). It times every query of the current request and adds it to the
request's :class:`~routing.state.QueryLog`; outside a request it only calls
through.

The backend's own set-up statements (MySQL's ``SET SESSION ...`` on connect)
are not counted: they run before ``connection_created``, so the recorder
only counts statements on a connection it has seen announced.
"""

from __future__ import annotations

from time import perf_counter

from routing.state import current_route

# Set on each DatabaseWrapper: the driver connection announced by connection_created.
_ANNOUNCED = "_routing_announced_connection"


def record_query(execute, sql, params, many, context):
    route = current_route()
    wrapper = context["connection"]
    if route is None or wrapper.connection is not getattr(wrapper, _ANNOUNCED, None):
        return execute(sql, params, many, context)
    started = perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        route.log.record(wrapper.alias, perf_counter() - started)


def on_connection_created(sender, connection, **kwargs) -> None:
    # Keep the driver connection itself, not its id(): a new connection can
    # never be mistaken for this one while it is referenced here.
    setattr(connection, _ANNOUNCED, connection.connection)
    if record_query not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, record_query)
