"""DATABASES from PostgreSQL URLs: one host, libpq's multi-host form, errors, test settings, mixed engines."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from project.databases import (
    AUTH_REPLICAS,
    POOL_OPTIONS,
    REPLICA_POOL_TIMEOUT_SECONDS,
    REPLICAS,
    URL_VARIABLES,
    configured_databases,
    engines_in_use,
    is_embedded,
    missing_postgresql_driver,
    parse_database_url,
    uses_mysql,
    uses_postgresql,
)
from tests.live.server import embedded_environment

PROJECT = Path(__file__).resolve().parents[1]

PG_URLS = {
    "PRIMARY_DATABASE_URL": "postgres://app:s3cret@127.0.0.1:5433/articles",
    "REPLICA1_DATABASE_URL": "postgres://app:s3cret@127.0.0.1:5434/articles",
    "REPLICA2_DATABASE_URL": "postgresql://app:s3cret@127.0.0.1:5435/articles",
    "AUTH_DATABASE_URL": "postgres://app:s3cret@127.0.0.1:5433/articles_auth",
    "AUTH_REPLICA1_DATABASE_URL": "postgres://app:s3cret@127.0.0.1:5434/articles_auth",
    "AUTH_REPLICA2_DATABASE_URL": "postgres://app:s3cret@127.0.0.1:5435/articles_auth",
}
MULTI_HOST = (
    "postgres://app:s3cret@127.0.0.1:5433,127.0.0.1:5434,127.0.0.1:5435/articles?target_session_attrs=read-write"
)
MYSQL_AUTH = {
    "AUTH_DATABASE_URL": "mysql://app:m1@127.0.0.1:3307/articles_auth",
    "AUTH_REPLICA1_DATABASE_URL": "mysql://app:m1@127.0.0.1:3308/articles_auth",
    "AUTH_REPLICA2_DATABASE_URL": "mysql://app:m1@127.0.0.1:3309/articles_auth",
}


def build(environ, tmp_path):
    return configured_databases(environ, tmp_path / "data", tmp_path / "test")


def test_postgres_urls(tmp_path):
    databases = build(PG_URLS, tmp_path)
    assert not is_embedded(databases)
    assert uses_postgresql(databases)
    assert not uses_mysql(databases)
    assert engines_in_use(databases) == {"postgresql"}
    for alias in ("default", "primary", "replica1", "replica2", "auth_db", "auth_replica1", "auth_replica2"):
        assert databases[alias]["ENGINE"] == "django.db.backends.postgresql", alias
    primary = databases["primary"]
    assert (primary["HOST"], primary["PORT"], primary["NAME"], primary["USER"], primary["PASSWORD"]) == (
        "127.0.0.1",
        5433,
        "articles",
        "app",
        "s3cret",
    )
    assert databases["replica2"]["PORT"] == 5435
    assert databases["auth_db"]["NAME"] == "articles_auth"
    assert databases["default"]["NAME"] == "articles"


def test_postgres_options_fail_fast_and_need_no_superuser(tmp_path):
    databases = build(PG_URLS, tmp_path)
    for alias, config in databases.items():
        # Only connection parameters: nothing that runs SQL at connect time.
        assert config["OPTIONS"] == {"connect_timeout": 10}, alias
        # The MySQL test charset does not leak into PostgreSQL test databases.
        assert "CHARSET" not in config["TEST"]


def test_a_urls_own_options_win(tmp_path):
    url = "postgres://app:s3cret@127.0.0.1:5433/articles?connect_timeout=3&sslmode=disable&application_name=api"
    databases = build({**PG_URLS, "PRIMARY_DATABASE_URL": url}, tmp_path)
    assert databases["primary"]["OPTIONS"] == {"connect_timeout": 3, "sslmode": "disable", "application_name": "api"}


def test_replicas_mirror_the_primary_and_auth_replicas_mirror_auth_db(tmp_path):
    databases = build(PG_URLS, tmp_path)
    # Physical streaming replication copies the whole cluster, the test
    # databases included: the test runner creates them on the primary only.
    for alias in ("default", "replica1", "replica2"):
        assert databases[alias]["TEST"] == {"MIRROR": "primary", "DEPENDENCIES": []}, alias
    for alias in ("auth_replica1", "auth_replica2"):
        assert databases[alias]["TEST"] == {"MIRROR": "auth_db", "DEPENDENCIES": []}, alias
    for alias in ("primary", "auth_db"):
        assert databases[alias]["TEST"] == {"DEPENDENCIES": []}, alias


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
def test_every_postgres_scheme(scheme, tmp_path):
    urls = {name: url.replace("postgres://", f"{scheme}://", 1) for name, url in PG_URLS.items()}
    urls = {name: url.replace("postgresql://", f"{scheme}://", 1) for name, url in urls.items()}
    assert engines_in_use(build(urls, tmp_path)) == {"postgresql"}


def test_multi_host_primary(tmp_path):
    databases = build({**PG_URLS, "PRIMARY_DATABASE_URL": MULTI_HOST}, tmp_path)
    primary = databases["primary"]
    # libpq (and psycopg) take comma lists for host and port, matched by position.
    assert primary["HOST"] == "127.0.0.1,127.0.0.1,127.0.0.1"
    assert primary["PORT"] == "5433,5434,5435"
    assert (primary["NAME"], primary["USER"], primary["PASSWORD"]) == ("articles", "app", "s3cret")
    assert primary["OPTIONS"] == {"connect_timeout": 10, "target_session_attrs": "read-write"}
    assert databases["default"]["HOST"] == primary["HOST"]
    assert databases["default"]["PORT"] == primary["PORT"]
    assert databases["replica1"]["HOST"] == "127.0.0.1"


def test_multi_host_auth_db(tmp_path):
    url = "postgresql://app:s3cret@db1.example:5433,db2.example:5434/articles_auth?target_session_attrs=primary"
    auth = build({**PG_URLS, "AUTH_DATABASE_URL": url}, tmp_path)["auth_db"]
    assert (auth["HOST"], auth["PORT"], auth["NAME"]) == ("db1.example,db2.example", "5433,5434", "articles_auth")
    assert auth["OPTIONS"]["target_session_attrs"] == "primary"


def test_multi_host_without_target_session_attrs_asks_for_the_writable_server():
    config = parse_database_url("primary", "postgres://app:pw@h1:5433,h2:5434/articles")
    assert config["OPTIONS"]["target_session_attrs"] == "read-write"


def test_multi_host_without_ports_and_with_some_ports():
    no_ports = parse_database_url("primary", "postgres://app:pw@h1,h2/articles")
    assert (no_ports["HOST"], no_ports["PORT"]) == ("h1,h2", "")
    # libpq: an empty item of the port list is that host's default port.
    some = parse_database_url("primary", "postgres://app:pw@h1:5433,h2/articles")
    assert (some["HOST"], some["PORT"]) == ("h1,h2", "5433,")


def test_multi_host_ipv6_and_encoded_password():
    config = parse_database_url("primary", "postgres://app:p%40ss%2Cw@[::1]:5433,[fe80::1]:5434/articles")
    assert (config["HOST"], config["PORT"]) == ("::1,fe80::1", "5433,5434")
    assert config["PASSWORD"] == "p@ss,w"


def test_percent_encoded_multi_host_form_is_accepted(tmp_path):
    # What topology.pg writes as PRIMARY_MULTIHOST_DATABASE_URL: the port list moves to PORT.
    url = "postgres://app:s3cret@127.0.0.1%2C127.0.0.1/articles?port=5433%2C5434&target_session_attrs=read-write"
    primary = build({**PG_URLS, "PRIMARY_DATABASE_URL": url}, tmp_path)["primary"]
    assert (primary["HOST"], primary["PORT"]) == ("127.0.0.1,127.0.0.1", "5433,5434")
    assert "port" not in primary["OPTIONS"]


def test_single_host_port_option_moves_to_port():
    config = parse_database_url("replica1", "postgres://app:pw@127.0.0.1/articles?port=5434")
    assert config["PORT"] == "5434"
    assert "port" not in config["OPTIONS"]


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("postgres://app:pw@h1:5433,,h3:5435/articles", "empty host"),
        ("postgres://app:pw@h1:5433,:5434/articles", "empty host"),
        ("postgres://app:pw@h1:5433,h2:port/articles", "not a port number"),
        ("postgres://app:pw@h1:5433,h2:70000/articles", "not a port number"),
        ("postgres://app:pw@h1:5433,::1:5434/articles", "IPv6 address in brackets"),
        ("postgres://app:pw@h1:5433,[::1/articles", r"\[IPv6 address\]"),
    ],
)
def test_malformed_multi_host_urls_name_their_variable(url, complaint, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=rf"PRIMARY_DATABASE_URL is not a valid database URL: .*{complaint}"):
        build({**PG_URLS, "PRIMARY_DATABASE_URL": url}, tmp_path)


def test_malformed_single_host_url_names_its_variable(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="AUTH_REPLICA1_DATABASE_URL is not a valid database URL"):
        build({**PG_URLS, "AUTH_REPLICA1_DATABASE_URL": "postgres://app:pw@127.0.0.1:notaport/articles"}, tmp_path)


@pytest.mark.parametrize("attrs", ["any", "standby", "prefer-standby", "read-only"])
def test_multi_host_primary_must_target_the_writable_server(attrs, tmp_path):
    url = f"postgres://app:pw@h1:5433,h2:5434/articles?target_session_attrs={attrs}"
    with pytest.raises(ImproperlyConfigured, match=f"PRIMARY_DATABASE_URL names several hosts with .*{attrs}"):
        build({**PG_URLS, "PRIMARY_DATABASE_URL": url}, tmp_path)


@pytest.mark.parametrize("variable", ["REPLICA1_DATABASE_URL", "AUTH_REPLICA2_DATABASE_URL"])
def test_a_replica_url_names_one_server(variable, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=f"{variable} names several hosts .* a replica alias is one server"):
        build({**PG_URLS, variable: "postgres://app:pw@h1:5434,h2:5435/articles"}, tmp_path)
    encoded = "postgres://app:pw@h1%2Ch2/articles?port=5434%2C5435"
    with pytest.raises(ImproperlyConfigured, match=f"{variable} names several hosts"):
        build({**PG_URLS, variable: encoded}, tmp_path)


def test_several_hosts_only_for_postgres(tmp_path):
    url = "mysql://app:pw@127.0.0.1:3307,127.0.0.1:3308/articles"
    with pytest.raises(ImproperlyConfigured, match=r"PRIMARY_DATABASE_URL .* several hosts .* only PostgreSQL"):
        build({**PG_URLS, "PRIMARY_DATABASE_URL": url}, tmp_path)


def test_unknown_scheme_with_a_host_list_still_names_the_scheme(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="PRIMARY_DATABASE_URL is not a valid database URL: Scheme 'nope"):
        build({**PG_URLS, "PRIMARY_DATABASE_URL": "nope://a:1,b:2/x"}, tmp_path)


def test_mixed_postgres_data_and_mysql_auth(tmp_path):
    environ = {**PG_URLS, **MYSQL_AUTH}
    databases = build(environ, tmp_path)
    assert engines_in_use(databases) == {"postgresql", "mysql"}
    assert uses_mysql(databases)
    assert uses_postgresql(databases)
    for alias in ("default", "primary", "replica1", "replica2"):
        assert databases[alias]["ENGINE"] == "django.db.backends.postgresql", alias
        assert databases[alias]["OPTIONS"] == {"connect_timeout": 10}
    for alias in ("auth_db", "auth_replica1", "auth_replica2"):
        config = databases[alias]
        assert config["ENGINE"] == "django.db.backends.mysql", alias
        assert config["OPTIONS"]["charset"] == "utf8mb4"
        assert "connect_timeout" not in config["OPTIONS"]
        assert config["TEST"]["CHARSET"] == "utf8mb4"
    assert databases["auth_replica1"]["TEST"]["MIRROR"] == "auth_db"
    assert databases["replica1"]["TEST"] == {"MIRROR": "primary", "DEPENDENCIES": []}


def test_mixed_with_a_multi_host_primary(tmp_path):
    databases = build({**PG_URLS, **MYSQL_AUTH, "PRIMARY_DATABASE_URL": MULTI_HOST}, tmp_path)
    assert databases["primary"]["PORT"] == "5433,5434,5435"
    assert databases["auth_db"]["PORT"] == 3307


def manage(tmp_path, *args, **env):
    environment = {**embedded_environment(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_the_postgresql_driver_is_installed():
    # requirements.txt carries psycopg[binary]; without it settings name the install command.
    assert missing_postgresql_driver() is None


def test_a_missing_driver_names_the_install_command(tmp_path):
    # A broken psycopg install, as the settings meet it in a fresh process.
    (tmp_path / "psycopg").mkdir()
    (tmp_path / "psycopg" / "__init__.py").write_text("raise ImportError('libpq.so.5: cannot open shared object')\n")
    result = manage(
        tmp_path,
        "check",
        PYTHONPATH=str(tmp_path),
        PRIMARY_DATABASE_URL="postgres://app:secret@127.0.0.1:1/articles",
        AUTH_DATABASE_URL="postgres://app:secret@127.0.0.1:1/articles_auth",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "psycopg could not be imported (libpq.so.5: cannot open shared object)" in result.stderr
    assert "pip install -r requirements.txt" in result.stderr


# DB_POOL=true: Django's PostgreSQL connection pool -----------------------------------------------


def deployed(environ, tmp_path):
    """DATABASES as a deployment (DEBUG off) builds them."""
    return configured_databases(environ, tmp_path / "data", tmp_path / "test", persistent=True)


@pytest.mark.parametrize("persistent", [True, False])
def test_the_pool_replaces_persistent_connections_on_every_postgres_alias(persistent, tmp_path):
    environ = {**PG_URLS, "DB_POOL": "true"}
    databases = configured_databases(environ, tmp_path / "data", tmp_path / "test", persistent=persistent)
    assert set(databases) == {"default", *URL_VARIABLES}
    for alias, config in databases.items():
        # A replica waits less for a connection: routing reads elsewhere once it gives up.
        wait = REPLICA_POOL_TIMEOUT_SECONDS if alias in (*REPLICAS, *AUTH_REPLICAS) else POOL_OPTIONS["timeout"]
        assert config["OPTIONS"] == {"connect_timeout": 10, "pool": {**POOL_OPTIONS, "timeout": wait}}, alias
        # Django refuses a pool with persistent connections; the pool checks what it hands out.
        assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (0, True), alias
    # Each alias its own dict: nothing one alias's pool does reaches another's options.
    assert databases["primary"]["OPTIONS"]["pool"] is not databases["replica1"]["OPTIONS"]["pool"]


def test_django_builds_the_pool_from_these_settings(tmp_path):
    from django.db.utils import ConnectionHandler
    from psycopg_pool import ConnectionPool

    handler = ConnectionHandler(deployed({**PG_URLS, "DB_POOL": "true"}, tmp_path))
    pool = handler["replica1"].pool  # built, not opened: nothing connects here
    try:
        assert isinstance(pool, ConnectionPool)
        assert (pool.min_size, pool.max_size, pool.timeout) == (2, 8, REPLICA_POOL_TIMEOUT_SECONDS)
        assert handler["primary"].settings_dict["OPTIONS"]["pool"]["timeout"] == 10
        # CONN_HEALTH_CHECKS is what makes Django give the pool a check (psycopg_pool's default is none).
        assert pool._check == ConnectionPool.check_connection
    finally:
        handler["replica1"].close_pool()


def test_without_db_pool_no_alias_is_pooled(tmp_path):
    for environ in (PG_URLS, {**PG_URLS, "DB_POOL": "false"}):
        databases = deployed(environ, tmp_path)
        assert {(c["CONN_MAX_AGE"], c["CONN_HEALTH_CHECKS"]) for c in databases.values()} == {(60, True)}
        assert not any("pool" in config["OPTIONS"] for config in databases.values())


def test_a_pooled_deployment_may_still_turn_the_check_off(tmp_path):
    databases = deployed({**PG_URLS, "DB_POOL": "true", "DB_CONN_HEALTH_CHECKS": "false"}, tmp_path)
    assert {(c["CONN_MAX_AGE"], c["CONN_HEALTH_CHECKS"]) for c in databases.values()} == {(0, False)}
    # DB_CONN_MAX_AGE=0 says what the pool needs anyway.
    databases = deployed({**PG_URLS, "DB_POOL": "true", "DB_CONN_MAX_AGE": "0"}, tmp_path)
    assert {config["CONN_MAX_AGE"] for config in databases.values()} == {0}


def test_only_the_postgres_aliases_of_a_mixed_layout_are_pooled(tmp_path):
    databases = deployed({**PG_URLS, **MYSQL_AUTH, "DB_POOL": "true"}, tmp_path)
    for alias in ("default", "primary", "replica1", "replica2"):
        assert databases[alias]["OPTIONS"]["pool"]["max_size"] == POOL_OPTIONS["max_size"], alias
        assert databases[alias]["CONN_MAX_AGE"] == 0
    for alias in ("auth_db", "auth_replica1", "auth_replica2"):
        assert "pool" not in databases[alias]["OPTIONS"], alias
        assert (databases[alias]["CONN_MAX_AGE"], databases[alias]["CONN_HEALTH_CHECKS"]) == (60, True)


@pytest.mark.parametrize(
    "environ",
    [
        {},  # the embedded SQLite files
        {
            "PRIMARY_DATABASE_URL": "mysql://app:s3cret@127.0.0.1:3307/articles",
            "AUTH_DATABASE_URL": "mysql://app:s3cret@127.0.0.1:3307/articles_auth",
        },
    ],
    ids=["sqlite", "mysql"],
)
def test_db_pool_without_postgres_is_refused(environ, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=r"DB_POOL=true, but no database is PostgreSQL: .* PostgreSQL only"):
        deployed({**environ, "DB_POOL": "true"}, tmp_path)


@pytest.mark.parametrize("max_age", ["60", "5"])
def test_db_pool_with_persistent_connections_is_refused(max_age, tmp_path):
    with pytest.raises(ImproperlyConfigured, match=rf"DB_POOL=true and DB_CONN_MAX_AGE={max_age} .* refuses"):
        deployed({**PG_URLS, "DB_POOL": "true", "DB_CONN_MAX_AGE": max_age}, tmp_path)


def test_db_pool_without_psycopg_pool_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg_pool", None)  # import psycopg_pool raises ImportError
    with pytest.raises(
        ImproperlyConfigured, match=r'psycopg_pool could not be imported .* pip install "psycopg\[pool\]"'
    ):
        deployed({**PG_URLS, "DB_POOL": "true"}, tmp_path)


def test_a_malformed_db_pool_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DB_POOL='sometimes' is not a boolean"):
        deployed({**PG_URLS, "DB_POOL": "sometimes"}, tmp_path)
