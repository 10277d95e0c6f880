"""Building DATABASES from the environment.

With no database URL set, every alias uses the embedded SQLite default: one
file for the primary, read-only connections to that same file for the
replicas (so a write sent to a replica fails for real), and a file of its own
for ``auth_db``. Setting ``PRIMARY_DATABASE_URL`` switches to real servers.

``default`` is another name for the primary: Django requires the alias, and
code that does not name a database (raw ``connection`` cursors, third-party
apps) then lands on the writable primary. The routers never return it, and
``migrate`` skips it because it opens the same database as ``primary``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

URL_VARIABLES = {
    "primary": "PRIMARY_DATABASE_URL",
    "replica1": "REPLICA1_DATABASE_URL",
    "replica2": "REPLICA2_DATABASE_URL",
    "auth_db": "AUTH_DATABASE_URL",
    "auth_replica1": "AUTH_REPLICA1_DATABASE_URL",
    "auth_replica2": "AUTH_REPLICA2_DATABASE_URL",
}
REPLICAS = ("replica1", "replica2")
AUTH_REPLICAS = ("auth_replica1", "auth_replica2")

# Test databases: the replicas and `default` are mirrors of the primary, so the
# test runner neither creates nor flushes them; on MySQL a replica mirror is a
# real replica connection to the replicated test database. No alias depends on
# `default` (a mirror), or Django reports a circular dependency.
_MIRROR_OF_PRIMARY = {"MIRROR": "primary", "DEPENDENCIES": []}
_MIRROR_OF_AUTH = {"MIRROR": "auth_db", "DEPENDENCIES": []}
_OWN_TEST_DATABASE = {"DEPENDENCIES": []}

# SQLite: wait for a lock instead of failing at once under a threaded server.
_SQLITE_TIMEOUT_SECONDS = 20

# MySQL/MariaDB: full Unicode and strict SQL mode, so bad data is an error
# instead of a silent truncation.
MYSQL_OPTIONS = {
    "charset": "utf8mb4",
    "init_command": "SET sql_mode='STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
}
MYSQL_TEST = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}


def sqlite_read_only_uri(path: Path) -> str:
    """A SQLite URI that opens ``path`` read-only (Django opens SQLite with uri=True)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def embedded_databases(data_dir: Path, test_dir: Path) -> dict[str, dict]:
    primary_file = data_dir / "primary.sqlite3"
    writable = {
        "ENGINE": "django.db.backends.sqlite3",
        "OPTIONS": {"timeout": _SQLITE_TIMEOUT_SECONDS, "transaction_mode": "IMMEDIATE"},
    }
    primary = {
        **writable,
        "NAME": str(primary_file),
        "TEST": {**_OWN_TEST_DATABASE, "NAME": str(test_dir / "primary.sqlite3")},
    }
    replica = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": sqlite_read_only_uri(primary_file),
        # query_only keeps the connection read-only under tests too, where
        # Django swaps NAME for the test database's plain path.
        "OPTIONS": {"timeout": _SQLITE_TIMEOUT_SECONDS, "init_command": "PRAGMA query_only = 1"},
        "TEST": _MIRROR_OF_PRIMARY,
    }
    auth = {
        **writable,
        "NAME": str(data_dir / "auth.sqlite3"),
        "TEST": {**_OWN_TEST_DATABASE, "NAME": str(test_dir / "auth.sqlite3")},
    }
    return _with_default(
        {"primary": primary, "replica1": copy.deepcopy(replica), "replica2": copy.deepcopy(replica), "auth_db": auth}
    )


def databases_from_urls(
    urls: Mapping[str, str], conn_max_age: int = 0, conn_health_checks: bool = False
) -> dict[str, dict]:
    """DATABASES for aliases given as URLs (``mysql://user:password@host:port/name``)."""
    if not urls.get("primary"):
        raise ImproperlyConfigured(
            f"{URL_VARIABLES['primary']} is not set, but other database URLs are. "
            "Set it too, or unset them all to use the embedded SQLite databases."
        )
    if not urls.get("auth_db"):
        raise ImproperlyConfigured(
            f"{URL_VARIABLES['auth_db']} is not set. The auth apps need a database of their own "
            "(another database on the same server is fine), e.g. mysql://app:secret@127.0.0.1:3306/app_auth"
        )
    databases = {}
    for alias, url in urls.items():
        if not url:
            continue
        try:
            config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=conn_health_checks)
        except ValueError as error:
            raise ImproperlyConfigured(f"{URL_VARIABLES[alias]} is not a valid database URL: {error}") from None
        if "mysql" in config["ENGINE"]:
            config["OPTIONS"] = {**MYSQL_OPTIONS, **config.get("OPTIONS", {})}
            config["TEST"] = dict(MYSQL_TEST)
        test = _OWN_TEST_DATABASE
        if alias in REPLICAS:
            test = _MIRROR_OF_PRIMARY
        elif alias in AUTH_REPLICAS:
            test = _MIRROR_OF_AUTH
        config["TEST"] = {**config.get("TEST", {}), **test}
        databases[alias] = config
    return _with_default(databases)


def _with_default(databases: dict[str, dict]) -> dict[str, dict]:
    default = copy.deepcopy(databases["primary"])
    default["TEST"] = {**default.get("TEST", {}), **_MIRROR_OF_PRIMARY}
    # A second connection to the primary's SQLite file must not take the write
    # lock when it merely opens a transaction (test cases open one per alias).
    default.get("OPTIONS", {}).pop("transaction_mode", None)
    return {"default": default, **databases}


def configured_databases(environ: Mapping[str, str], data_dir: Path, test_dir: Path) -> dict[str, dict]:
    raw_max_age = environ.get("DB_CONN_MAX_AGE", "").strip() or "0"
    if not raw_max_age.isdigit():
        raise ImproperlyConfigured(f"DB_CONN_MAX_AGE={raw_max_age!r} is not a whole number of seconds.")
    conn_max_age = int(raw_max_age)
    # Django's default: no ping per request. With persistent connections, a
    # connection the server dropped then fails one query and is replaced.
    health_checks = environ.get("DB_CONN_HEALTH_CHECKS", "").strip().lower() in {"1", "true", "yes", "on"}
    urls = {alias: environ.get(variable, "").strip() for alias, variable in URL_VARIABLES.items()}
    if any(urls.values()):
        return databases_from_urls(urls, conn_max_age=conn_max_age, conn_health_checks=health_checks)
    databases = embedded_databases(data_dir, test_dir)
    for config in databases.values():
        config.update(CONN_MAX_AGE=conn_max_age, CONN_HEALTH_CHECKS=health_checks)
    return databases


def single_database(databases: Mapping[str, dict]) -> dict[str, dict]:
    """The primary alone, as ``default``: plain Django with one database (ROUTING=off)."""
    default = copy.deepcopy(dict(databases["primary"]))
    default["TEST"] = {key: value for key, value in default.get("TEST", {}).items() if key == "NAME"}
    return {"default": default}


def primary_with_replicas(databases: Mapping[str, dict]) -> dict[str, dict]:
    """``default`` (the primary) and the replicas, without auth_db: django-multidb-router's layout."""
    return {**single_database(databases), **{alias: databases[alias] for alias in REPLICAS if alias in databases}}


def is_embedded(databases: Mapping[str, dict]) -> bool:
    return all(config["ENGINE"] == "django.db.backends.sqlite3" for config in databases.values())


def uses_mysql(databases: Mapping[str, dict]) -> bool:
    return any("mysql" in config["ENGINE"] for config in databases.values())
