"""Recording which alias really executed each query, and what it wrote.

A wrapper is attached to each database connection when it opens (the
``connection_created`` signal, sent in the thread that runs the queries, also
under ASGI). It times every query of the current request and adds it to the
request's :class:`~routing.state.QueryLog`; outside a request it only calls
through.

The backend's own set-up statements (MySQL's ``SET SESSION ...`` on connect)
are not counted: they run before ``connection_created``, so the recorder
only counts statements on a connection it has seen announced.

Two more things are noticed on the way, because only the querying thread can
see them: a write to the primary (once its transaction commits, its
replication position goes into the log, for the response's causal token),
and a replica connection that broke (it leaves the pick for the cooldown).
"""

from __future__ import annotations

from time import perf_counter

from django.db import DatabaseError, transaction

from routing import metrics
from routing.conf import OFF, WINDOW, routing_settings
from routing.connections import forget_primary_connections
from routing.engines import adapter_for
from routing.health import registry
from routing.state import QueryLog, current_route


def record_query(execute, sql, params, many, context):
    route = current_route()
    wrapper = context["connection"]
    # Every wrapper that calls this was announced (on_connection_created): the
    # backend's set-up statements run on a connection not announced yet.
    if route is None or wrapper.connection is not wrapper._routing_announced_connection:
        return execute(sql, params, many, context)
    log = route.log
    alias = wrapper.alias
    started = perf_counter()
    try:
        result = execute(sql, params, many, context)
    except DatabaseError as error:
        if wrapper._routing_engine.is_disconnect(error):
            _lost(log, alias, error)
        raise
    finally:
        seconds = perf_counter() - started
        log.record(alias, seconds)
        if not log.keeps_durations and log.settings.metrics_on:
            metrics.record_query(alias, seconds)  # a pin outside any request
    # Only a write on the primary's database hands out a token; replicas take no writes.
    if alias in log.settings.primary_databases and wrapper._routing_engine.is_write(sql):
        _await_commit(log, wrapper)
    return result


def _lost(log: QueryLog, alias: str, error: DatabaseError) -> None:
    """The server went away under a query: the request may retry its reads elsewhere (routing.middleware)."""
    log.lose(alias)
    # Aliases that something else can stand in for leave the pick for the cooldown.
    if alias in routing_settings.all_replicas or (alias == routing_settings.auth_db and routing_settings.auth_replicas):
        registry.mark_failed(alias, error)


def _await_commit(log: QueryLog, wrapper) -> None:
    """Once this write's transaction commits, note it (and its position) in the log."""
    if routing_settings.read_your_writes == OFF:
        return
    if log.awaiting_commit is None:
        log.awaiting_commit = set()
    elif wrapper.alias in log.awaiting_commit:
        return
    log.awaiting_commit.add(wrapper.alias)

    def committed() -> None:
        log.awaiting_commit.discard(wrapper.alias)
        log.committed = True
        if routing_settings.read_your_writes == WINDOW:
            return
        scheme = wrapper._routing_engine.positions(wrapper)
        position = scheme.after_commit(wrapper) if scheme is not None else None
        if position:
            log.position, log.position_scheme = position, scheme.name

    # Runs at once in autocommit mode, else after the outermost commit.
    transaction.on_commit(committed, using=wrapper.alias)


def on_connection_created(sender, connection, **kwargs) -> None:
    # Keep the driver connection itself, not its id(): a new connection can
    # never be mistaken for this one while it is referenced here.
    # Set on the DatabaseWrapper: the driver connection announced, and the
    # wrapper's engine adapter (looked up once, used on every write).
    connection._routing_announced_connection = connection.connection
    connection._routing_engine = adapter_for(connection)
    if record_query not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, record_query)
    if connection.alias in routing_settings.hot.primary_databases:
        # It may open a transaction from now on: the routers' transaction
        # check must look at it (routing.connections.primary_connections).
        forget_primary_connections()
