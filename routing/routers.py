"""Database routers.

Install both, auth first::

    DATABASE_ROUTERS = ["routing.routers.AuthRouter", "routing.routers.PrimaryReplicaRouter"]

Neither follows the ``instance`` hint Django passes for related objects: an
article's author lives on ``auth_db``, and following the author's database
would send the article's writes there.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

from routing import reasons
from routing.conf import routing_settings
from routing.connections import connection_for, primary_connections, usable
from routing.state import QueryLog, current_route

__all__ = ["AuthRouter", "PrimaryReplicaRouter", "connection_for"]


def auth_db_owning(app_label: str) -> str | None:
    """``ROUTING_AUTH_DB`` when it holds ``app_label``'s models, else None (no opinion).

    The one ownership rule of every AuthRouter method. (Without an auth
    database, leave AuthRouter out of DATABASE_ROUTERS: it then costs nothing.)
    """
    auth_db = routing_settings.auth_db
    if auth_db is not None and app_label in routing_settings.auth_apps:
        return auth_db
    return None


class AuthRouter:
    """Every model of ``ROUTING_AUTH_APPS`` reads, writes and migrates on ``ROUTING_AUTH_DB``.

    With ``ROUTING_AUTH_REPLICAS`` configured, auth *reads* go to one of them
    while ``auth_db`` cannot be reached (when it shares the primary's server,
    that is whenever the primary is down), so reads that show users keep
    working. Writes never leave ``auth_db``.
    """

    def db_for_read(self, model, **hints):
        auth_db = auth_db_owning(model._meta.app_label)
        if auth_db is None:
            return None
        fallbacks = routing_settings.auth_replicas
        if not fallbacks or usable(auth_db):
            return auth_db
        return next((alias for alias in fallbacks if usable(alias)), auth_db)

    def db_for_write(self, model, **hints):
        return auth_db_owning(model._meta.app_label)

    def allow_relation(self, obj1, obj2, **hints):
        if auth_db_owning(obj1._meta.app_label) and auth_db_owning(obj2._meta.app_label):
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        auth_db = auth_db_owning(app_label)
        return None if auth_db is None else db == auth_db


def open_transaction_alias(log: QueryLog | None = None) -> str | None:
    """The connection holding an open transaction on the primary's database, if any.

    That is the primary, or ``default`` when it is the primary's database under
    Django's name: ``transaction.atomic()`` without ``using`` opens its
    transaction there, and the queries must follow it to be part of it. With
    the current route's ``log``, the wrappers are the ones it looked up at its
    first query, not looked up again for each of the others.
    """
    if log is None:
        primaries = primary_connections()
    else:
        primaries = log.primaries
        if primaries is None:
            primaries = log.primaries = primary_connections(log.settings)
    for connection in primaries:
        if connection.in_atomic_block:
            return connection.alias
    return None


class PrimaryReplicaRouter:
    """Writes go to the primary; reads follow the current route.

    Outside a request or pin there is no route, and reads go to the primary:
    management commands and scripts see their own writes. Inside a transaction
    on the primary's database, reads and writes use the transaction's
    connection, so it sees its own rows and rolls back as a whole.
    """

    def db_for_read(self, model, **hints):
        route = current_route()
        transaction_alias = open_transaction_alias(None if route is None else route.log)
        if transaction_alias is not None:
            if route is not None and route.alias != routing_settings.primary:
                route.log.note(transaction_alias, reasons.ATOMIC)
            return transaction_alias
        return routing_settings.primary if route is None else route.alias

    def db_for_write(self, model, **hints):
        route = current_route()
        alias = open_transaction_alias(None if route is None else route.log) or routing_settings.primary
        if route is not None:
            route.log.note(alias, reasons.WRITE)
        return alias

    def allow_relation(self, obj1, obj2, **hints):
        # The primary and its replicas hold the same rows, and the auth
        # database is reachable from them through db_constraint=False keys.
        known = {*routing_settings.data_aliases, routing_settings.auth_db, *routing_settings.auth_replicas}
        known.add(DEFAULT_DB_ALIAS)
        if obj1._state.db in known and obj2._state.db in known:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas receive schema and rows through replication; `default`, when
        # it is the primary under another name, must not record migrations twice.
        return db == routing_settings.primary
