"""Recording which alias really executed each query.

A wrapper is attached to every database connection when it opens (the
``connection_created`` signal). It measures the query and adds it to the
current request's :class:`~routing.state.QueryLog`; outside a request it only
calls through.
"""

from __future__ import annotations

from time import perf_counter

from routing.state import current_route


def record_query(execute, sql, params, many, context):
    route = current_route()
    if route is None:
        return execute(sql, params, many, context)
    started = perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        route.log.record(context["connection"].alias, perf_counter() - started)


def install_recorder(connection) -> None:
    """Attach the recorder to ``connection`` once, whatever its reconnects."""
    if record_query not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, record_query)


def on_connection_created(sender, connection, **kwargs) -> None:
    install_recorder(connection)
