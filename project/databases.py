"""Building DATABASES from the environment.

With no database URL set, every alias uses the embedded SQLite default: one
file for the primary, read-only connections to that same file for the
replicas (so a write sent to a replica fails for real), and a file of its own
for ``auth_db``. Setting ``PRIMARY_DATABASE_URL`` switches to real servers:
MySQL/MariaDB (``mysql://``) or PostgreSQL (``postgres://``, ``postgresql://``),
one engine per alias, so the auth apps may live on another engine than the data.

``PRIMARY_DATABASE_URL`` and ``AUTH_DATABASE_URL`` may name several PostgreSQL
hosts, in libpq's multi-host form
``postgres://user:pw@host1:5433,host2:5434/db?target_session_attrs=read-write``:
libpq connects to whichever of them is the writable primary, so the service
keeps writing after a standby is promoted.

``default`` is another name for the primary: Django requires the alias, and
code that does not name a database (raw ``connection`` cursors, third-party
apps) then lands on the writable primary. The routers never return it, and
``migrate`` skips it because it opens the same database as ``primary``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

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
AUTH_ALIASES = ("auth_db", *AUTH_REPLICAS)

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

# PostgreSQL: a dead host fails in seconds, not after psycopg's default of 130 s
# (per host of a multi-host URL). A URL's own ?connect_timeout= wins.
POSTGRESQL_OPTIONS = {"connect_timeout": 10}
# Aliases that may name several hosts: libpq picks the writable one. A replica
# alias is one server (its lag and position are that server's).
MULTI_HOST_ALIASES = ("primary", "auth_db")
# The target_session_attrs values that reach only a writable server.
_WRITABLE_SESSION_ATTRS = ("read-write", "primary")
# The part of a backend's dotted path that names its engine (vendor).
_ENGINE_VENDORS = {"sqlite3": "sqlite", "mysql": "mysql", "postgresql": "postgresql", "postgis": "postgresql"}


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
    urls: Mapping[str, str], conn_max_age: int = 0, conn_health_checks: bool = False, auth_on_primary: bool = False
) -> dict[str, dict]:
    """DATABASES for aliases given as URLs (``mysql://user:password@host:port/name``)."""
    if auth_on_primary:
        urls = {alias: url for alias, url in urls.items() if alias not in AUTH_ALIASES}
    if not urls.get("primary"):
        raise ImproperlyConfigured(
            f"{URL_VARIABLES['primary']} is not set, but other database URLs are. "
            "Set it too, or unset them all to use the embedded SQLite databases."
        )
    if not urls.get("auth_db") and not auth_on_primary:
        raise ImproperlyConfigured(
            f"{URL_VARIABLES['auth_db']} is not set. The auth apps need a database of their own "
            "(another database on the same server is fine), e.g. mysql://app:secret@127.0.0.1:3306/app_auth; "
            "or set AUTH_ON_PRIMARY=true to keep the auth tables in the primary's database"
        )
    databases = {}
    for alias, url in urls.items():
        if not url:
            continue
        config = parse_database_url(alias, url, conn_max_age=conn_max_age, conn_health_checks=conn_health_checks)
        if "mysql" in config["ENGINE"]:
            config["OPTIONS"] = {**MYSQL_OPTIONS, **config.get("OPTIONS", {})}
            config["TEST"] = dict(MYSQL_TEST)
        elif engine_vendor(config) == "postgresql":
            config["OPTIONS"] = {**POSTGRESQL_OPTIONS, **config.get("OPTIONS", {})}
        test = _OWN_TEST_DATABASE
        if alias in REPLICAS:
            test = _MIRROR_OF_PRIMARY
        elif alias in AUTH_REPLICAS:
            test = _MIRROR_OF_AUTH
        config["TEST"] = {**config.get("TEST", {}), **test}
        databases[alias] = config
    return _with_default(databases)


def parse_database_url(alias: str, url: str, conn_max_age: int = 0, conn_health_checks: bool = False) -> dict:
    """One alias's settings from its URL; a PostgreSQL multi-host URL gives HOST "h1,h2" and PORT "p1,p2"."""
    variable = URL_VARIABLES[alias]
    try:
        multi_host = _split_multi_host(url)
        if multi_host is not None:
            url, hosts, ports = multi_host
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=conn_health_checks)
    except ValueError as error:
        raise ImproperlyConfigured(f"{variable} is not a valid database URL: {error}") from None
    if multi_host is not None:
        config["HOST"], config["PORT"] = hosts, ports
    if engine_vendor(config) == "postgresql":
        _check_host_list(alias, config)
    return config


def _split_multi_host(url: str) -> tuple[str, str, str] | None:
    """libpq's ``scheme://user:pw@h1:p1,h2:p2/db?...`` as (a one-host URL for dj-database-url, "h1,h2", "p1,p2").

    None when the URL names one host. urllib (so dj-database-url) rejects the
    port of a host list; the one-host URL keeps everything but the hosts.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return None
    end = min((index for index in (rest.find(mark) for mark in "/?#") if index >= 0), default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    userinfo, at, host_list = netloc.rpartition("@")
    if "," not in host_list:
        return None
    engine = dj_database_url.ENGINE_SCHEMES.get(scheme)
    if engine is None:
        return None  # dj-database-url names the unknown scheme
    if _vendor_of_backend(engine.backend) != "postgresql":
        raise ValueError(f"it names several hosts ({host_list}), which only PostgreSQL URLs may.")
    hosts, ports = zip(*(_host_and_port(entry) for entry in host_list.split(",")), strict=True)
    # libpq: an empty item in the port list means the default port for that host.
    port_list = ",".join(ports) if any(ports) else ""
    return f"{scheme}://{userinfo}{at}multi-host{tail}", ",".join(hosts), port_list


def _host_and_port(entry: str) -> tuple[str, str]:
    """``host``, ``host:port``, ``[::1]`` or ``[::1]:port`` of a host list."""
    if entry.startswith("["):
        host, bracket, after = entry[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise ValueError(f"{entry!r} in its host list is not [IPv6 address] or [IPv6 address]:port.")
        port = after[1:]
    else:
        host, _, port = entry.partition(":")
        if ":" in port:
            raise ValueError(f"{entry!r} in its host list: write an IPv6 address in brackets, [{entry}].")
    host = unquote(host)
    if not host or "," in host:
        raise ValueError(f"its host list has an empty host ({entry!r}); separate hosts with single commas.")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"the port of {entry!r} in its host list is not a port number.")
    return host, port


def _check_host_list(alias: str, config: dict) -> None:
    """Several hosts only where libpq may pick the writable one, and with target_session_attrs saying so.

    The percent-encoded form (``h1%2Ch2/db?port=p1%2Cp2``) is accepted too: its
    port list moves from OPTIONS to PORT, as the plain form gives it.
    """
    options = config.setdefault("OPTIONS", {})
    if not config.get("PORT") and "port" in options:
        config["PORT"] = str(options.pop("port"))
    if "," not in str(config.get("HOST", "")):
        return
    variable = URL_VARIABLES[alias]
    if alias not in MULTI_HOST_ALIASES:
        allowed = " and ".join(URL_VARIABLES[name] for name in MULTI_HOST_ALIASES)
        raise ImproperlyConfigured(
            f"{variable} names several hosts ({config['HOST']}), but a replica alias is one server. "
            f"Only {allowed} may list several (libpq connects to the writable one)."
        )
    attrs = options.setdefault("target_session_attrs", "read-write")
    if attrs not in _WRITABLE_SESSION_ATTRS:
        raise ImproperlyConfigured(
            f"{variable} names several hosts with target_session_attrs={attrs}, which may connect to a standby; "
            f"the {alias} alias takes writes. Use target_session_attrs=read-write."
        )


def _with_default(databases: dict[str, dict]) -> dict[str, dict]:
    default = copy.deepcopy(databases["primary"])
    default["TEST"] = {**default.get("TEST", {}), **_MIRROR_OF_PRIMARY}
    # A second connection to the primary's SQLite file must not take the write
    # lock when it merely opens a transaction (test cases open one per alias).
    default.get("OPTIONS", {}).pop("transaction_mode", None)
    return {"default": default, **databases}


# What a deployment (DEBUG off) gets without setting anything: connections kept
# for a minute and pinged once per request before reuse. A routed request opens
# two or three aliases; a new connection for each, per request, costs more than
# all of routing's own work. The development server (DEBUG on) runs each
# request in a thread of its own, which would only pile up idle connections.
PERSISTENT_MAX_AGE = 60


def configured_databases(
    environ: Mapping[str, str], data_dir: Path, test_dir: Path, *, persistent: bool = False
) -> dict[str, dict]:
    """Every alias, from the URL variables or the embedded SQLite files.

    ``persistent`` (DEBUG off) makes persistent connections with health checks
    the default; ``DB_CONN_MAX_AGE`` and ``DB_CONN_HEALTH_CHECKS`` still win.
    ``AUTH_ON_PRIMARY=true`` leaves out the auth aliases: the auth tables live
    in the primary's database and are routed like the rest. ``DB_POOL=true``
    gives every PostgreSQL alias a connection pool instead (see ``POOL_OPTIONS``).
    """
    auth_on_primary = env_flag(environ, "AUTH_ON_PRIMARY", False)
    pool = env_flag(environ, "DB_POOL", False)
    default_max_age = str(PERSISTENT_MAX_AGE) if persistent else "0"
    raw_max_age = environ.get("DB_CONN_MAX_AGE", "").strip() or default_max_age
    if not raw_max_age.isdigit():
        raise ImproperlyConfigured(f"DB_CONN_MAX_AGE={raw_max_age!r} is not a whole number of seconds.")
    conn_max_age = int(raw_max_age)
    if pool and conn_max_age and environ.get("DB_CONN_MAX_AGE", "").strip():
        raise ImproperlyConfigured(
            f"DB_POOL=true and DB_CONN_MAX_AGE={raw_max_age} ask for two ways of keeping connections: "
            "Django's pool hands a connection back at the end of each request, and refuses persistent ones. "
            "Unset DB_CONN_MAX_AGE (or set it to 0), or set DB_POOL=false."
        )
    # With persistent connections, a connection the server dropped would fail
    # one request's query before being replaced; the ping finds it first.
    raw_checks = environ.get("DB_CONN_HEALTH_CHECKS", "").strip().lower()
    health_checks = raw_checks in {"1", "true", "yes", "on"} if raw_checks else persistent and conn_max_age > 0
    urls = {alias: environ.get(variable, "").strip() for alias, variable in URL_VARIABLES.items()}
    if any(urls.values()):
        databases = databases_from_urls(
            urls, conn_max_age=conn_max_age, conn_health_checks=health_checks, auth_on_primary=auth_on_primary
        )
    else:
        databases = embedded_databases(data_dir, test_dir)
        if auth_on_primary:
            databases = {alias: config for alias, config in databases.items() if alias not in AUTH_ALIASES}
        for config in databases.values():
            config.update(CONN_MAX_AGE=conn_max_age, CONN_HEALTH_CHECKS=health_checks)
    if pool:
        # A pool keeps its connections open whatever DEBUG says: checked unless
        # DB_CONN_HEALTH_CHECKS=false says otherwise.
        _pool_postgresql(databases, health_checks=health_checks if raw_checks else True)
    return databases


# DB_POOL=true. psycopg_pool's own defaults are a fixed 4 connections per
# alias and process, and 30 s of waiting for one. Instead:
# - up to 8, one per thread of a `make serve` worker, so that no request waits
#   for another's connection; 2 kept open, the rest closed after 10 idle minutes
#   (psycopg_pool's max_idle);
# - at most 10 s of waiting for a connection on the primary and the auth
#   database, the service's default connect_timeout. With 8 connections for 8
#   threads, a request only waits while the pool cannot connect, and then for
#   the whole timeout even when the server refuses at once (the pool keeps
#   trying in the background until then).
# - at most 2 s on a replica: routing then leaves it out for the cooldown and
#   the read goes to another one, so a stopped replica costs the first reads
#   on it 2 s, not 10. (libpq cannot connect in less than its own 2 s minimum either.)
POOL_OPTIONS = {"min_size": 2, "max_size": 8, "timeout": POSTGRESQL_OPTIONS["connect_timeout"]}
REPLICA_POOL_TIMEOUT_SECONDS = 2
POOL_DRIVER_HINT = 'pip install "psycopg[pool]"'


def _pool_postgresql(databases: dict[str, dict], health_checks: bool) -> None:
    """Django's connection pool on every PostgreSQL alias; the other aliases keep their settings.

    Django hands a pooled connection back to the pool at the end of each
    request only with CONN_MAX_AGE=0, and refuses any other value. With
    CONN_HEALTH_CHECKS, Django does not ping the connection itself but has the
    pool check it as it hands it out (psycopg_pool checks none by default): a
    connection the server dropped while idle in the pool is replaced before a
    request's query fails on it.
    """
    pooled = [config for config in databases.values() if engine_vendor(config) == "postgresql"]
    if not pooled:
        raise ImproperlyConfigured(
            "DB_POOL=true, but no database is PostgreSQL: the connection pool applies to PostgreSQL only "
            "(psycopg 3's psycopg_pool). Set DB_POOL=false, or point the database URLs at PostgreSQL."
        )
    try:
        import psycopg_pool  # noqa: F401
    except ImportError as error:
        raise ImproperlyConfigured(
            f"DB_POOL=true, but psycopg_pool could not be imported ({error}). Install it: {POOL_DRIVER_HINT} "
            "(pip install -r requirements.txt installs it too), or set DB_POOL=false."
        ) from None
    for alias, config in databases.items():
        if engine_vendor(config) != "postgresql":
            continue
        pool = dict(POOL_OPTIONS)
        if alias in (*REPLICAS, *AUTH_REPLICAS):
            pool["timeout"] = REPLICA_POOL_TIMEOUT_SECONDS
        config["OPTIONS"] = {**config.get("OPTIONS", {}), "pool": pool}
        config.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=health_checks)


def env_flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """A true/false variable: unset or empty gives ``default``; anything but a boolean word is refused."""
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={environ[name]!r} is not a boolean; use true or false.")


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


def _vendor_of_backend(backend: str) -> str:
    last = backend.rsplit(".", 1)[-1]
    return _ENGINE_VENDORS.get(last, last)


def engine_vendor(config: Mapping[str, object]) -> str:
    """``sqlite``, ``mysql``, ``postgresql`` (Django's vendor names), or the backend's last name."""
    return _vendor_of_backend(str(config["ENGINE"]))


def engines_in_use(databases: Mapping[str, dict]) -> set[str]:
    """The vendors of all aliases: ``{"postgresql", "mysql"}`` for PostgreSQL data and a MariaDB auth_db."""
    return {engine_vendor(config) for config in databases.values()}


def uses_postgresql(databases: Mapping[str, dict]) -> bool:
    return "postgresql" in engines_in_use(databases)


POSTGRESQL_DRIVER_HINT = "pip install -r requirements.txt (psycopg[binary]: a wheel, no compiler needed)"


def missing_postgresql_driver() -> str | None:
    """Why Django's PostgreSQL backend cannot load, or None when psycopg imports.

    Imported, not merely looked up: a broken install is found here, with the
    install command, instead of as Django's bare "Error loading psycopg2 or
    psycopg module".
    """
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        return (
            f"The database URLs name PostgreSQL, but psycopg could not be imported ({error}). "
            f"Install it: {POSTGRESQL_DRIVER_HINT}."
        )
    return None
