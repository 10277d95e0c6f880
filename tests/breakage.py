"""Breaking a database for real (no mocks): point an alias somewhere it cannot work."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from django.db import connections

from project.databases import sqlite_read_only_uri
from tests.replication import ON_MYSQL, ON_POSTGRESQL, free_port, query_one, wait_for_replicas


@contextmanager
def alias_settings(alias: str, **changes):
    """Change an alias's connection settings for the block, then restore them."""
    connection = connections[alias]
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(changes)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)


@contextmanager
def unreachable(alias: str, tmp_path: Path):
    """``alias`` cannot be connected to; yields the driver's words for it."""
    if ON_MYSQL:
        with alias_settings(alias, PORT=free_port()):
            yield "Can't connect"
    elif ON_POSTGRESQL:
        with alias_settings(alias, PORT=free_port()):
            yield "Connection refused"
    else:
        with alias_settings(alias, NAME=sqlite_read_only_uri(tmp_path / "missing" / f"{alias}.sqlite3")):
            yield "unable to open database file"


@contextmanager
def unmigrated(alias: str, tmp_path: Path):
    """``alias`` opens an empty database; yields the driver's words for the missing table."""
    if ON_MYSQL:
        query_one("primary", "CREATE DATABASE test_empty")
        wait_for_replicas()
        try:
            with alias_settings(alias, NAME="test_empty"):
                yield "test_empty.api_article' doesn't exist"
        finally:
            query_one("primary", "DROP DATABASE test_empty")
    elif ON_POSTGRESQL:
        # The application role has CREATEDB (Django's test runner needs it);
        # the standbys receive the new database by replication.
        query_one("primary", "DROP DATABASE IF EXISTS test_empty WITH (FORCE)")
        query_one("primary", "CREATE DATABASE test_empty")
        wait_for_replicas()
        try:
            with alias_settings(alias, NAME="test_empty"):
                yield 'relation "api_article" does not exist'
        finally:
            # FORCE: a health check may still hold a connection to it.
            query_one("primary", "DROP DATABASE test_empty WITH (FORCE)")
    else:
        empty = tmp_path / f"{alias}-empty.sqlite3"
        sqlite3.connect(empty).close()
        with alias_settings(alias, NAME=str(empty)):
            yield "no such table: api_article"
