"""DATABASES built from the environment, and the embedded SQLite default."""

import sqlite3

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from project.databases import configured_databases, is_embedded

MYSQL_URLS = {
    "PRIMARY_DATABASE_URL": "mysql://app:s3cret@127.0.0.1:3307/articles",
    "REPLICA1_DATABASE_URL": "mysql://app:s3cret@127.0.0.1:3308/articles",
    "REPLICA2_DATABASE_URL": "mysql://app:s3cret@127.0.0.1:3309/articles",
    "AUTH_DATABASE_URL": "mysql://app:s3cret@127.0.0.1:3307/articles_auth",
}


def build(environ, tmp_path):
    return configured_databases(environ, tmp_path / "data", tmp_path / "test")


def test_no_environment_means_embedded_sqlite(tmp_path):
    databases = build({}, tmp_path)
    assert set(databases) == {"default", "primary", "replica1", "replica2", "auth_db"}
    assert is_embedded(databases)
    primary = str(tmp_path / "data" / "primary.sqlite3")
    assert databases["primary"]["NAME"] == primary
    assert databases["default"]["NAME"] == primary
    assert databases["auth_db"]["NAME"] == str(tmp_path / "data" / "auth.sqlite3")
    for replica in ("replica1", "replica2"):
        assert databases[replica]["NAME"] == f"file://{primary}?mode=ro"
        assert databases[replica]["TEST"]["MIRROR"] == "primary"


def test_embedded_replicas_refuse_writes_on_the_real_file(tmp_path, django_db_blocker):
    # The production configuration (a mode=ro URI), outside the test databases.
    (tmp_path / "data").mkdir()
    with sqlite3.connect(tmp_path / "data" / "primary.sqlite3") as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
        setup.execute("INSERT INTO t VALUES (1)")
    handler = ConnectionHandler(build({}, tmp_path))
    with django_db_blocker.unblock():
        with handler["replica1"].cursor() as cursor:
            cursor.execute("SELECT x FROM t")
            assert cursor.fetchall() == [(1,)]
            with pytest.raises(OperationalError, match="readonly database"):
                cursor.execute("INSERT INTO t VALUES (2)")
        with handler["primary"].cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        handler.close_all()


def test_mysql_urls(tmp_path):
    databases = build(MYSQL_URLS, tmp_path)
    assert not is_embedded(databases)
    primary = databases["primary"]
    assert primary["ENGINE"] == "django.db.backends.mysql"
    assert (primary["HOST"], primary["PORT"], primary["NAME"], primary["USER"]) == (
        "127.0.0.1",
        3307,
        "articles",
        "app",
    )
    assert primary["OPTIONS"]["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in primary["OPTIONS"]["init_command"]
    assert primary["TEST"]["CHARSET"] == "utf8mb4"
    assert databases["replica2"]["PORT"] == 3309
    assert databases["replica1"]["TEST"]["MIRROR"] == "primary"
    assert databases["auth_db"]["NAME"] == "articles_auth"
    assert databases["default"]["NAME"] == "articles"
    assert databases["default"]["TEST"]["MIRROR"] == "primary"


def test_replicas_are_optional(tmp_path):
    environ = {key: MYSQL_URLS[key] for key in ("PRIMARY_DATABASE_URL", "AUTH_DATABASE_URL")}
    assert set(build(environ, tmp_path)) == {"default", "primary", "auth_db"}


def test_primary_url_is_required_once_any_url_is_set(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="PRIMARY_DATABASE_URL is not set"):
        build({"REPLICA1_DATABASE_URL": MYSQL_URLS["REPLICA1_DATABASE_URL"]}, tmp_path)


def test_auth_url_is_required_with_a_primary(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="AUTH_DATABASE_URL is not set"):
        build({"PRIMARY_DATABASE_URL": MYSQL_URLS["PRIMARY_DATABASE_URL"]}, tmp_path)


def test_malformed_url_names_its_variable(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="REPLICA2_DATABASE_URL is not a valid database URL"):
        build({**MYSQL_URLS, "REPLICA2_DATABASE_URL": "nonsense://x"}, tmp_path)


def test_connection_reuse_is_configurable(tmp_path):
    databases = build({**MYSQL_URLS, "DB_CONN_MAX_AGE": "60"}, tmp_path)
    assert databases["primary"]["CONN_MAX_AGE"] == 60
    assert databases["primary"]["CONN_HEALTH_CHECKS"] is False
    checked = build({**MYSQL_URLS, "DB_CONN_MAX_AGE": "60", "DB_CONN_HEALTH_CHECKS": "true"}, tmp_path)
    assert checked["replica1"]["CONN_HEALTH_CHECKS"] is True
    embedded = build({"DB_CONN_MAX_AGE": "30"}, tmp_path)
    assert {config["CONN_MAX_AGE"] for config in embedded.values()} == {30}


def test_a_deployment_keeps_its_connections_by_default_and_pings_them(tmp_path):
    for environ in (MYSQL_URLS, {}):  # servers, and the embedded files
        deployed = configured_databases(environ, tmp_path / "data", tmp_path / "test", persistent=True)
        assert {(c["CONN_MAX_AGE"], c["CONN_HEALTH_CHECKS"]) for c in deployed.values()} == {(60, True)}
        developing = configured_databases(environ, tmp_path / "data", tmp_path / "test")
        assert {(c["CONN_MAX_AGE"], c["CONN_HEALTH_CHECKS"]) for c in developing.values()} == {(0, False)}


def test_a_deployment_may_still_choose_new_connections_or_no_ping(tmp_path):
    def deployed(**environ):
        databases = configured_databases({**MYSQL_URLS, **environ}, tmp_path / "d", tmp_path / "t", persistent=True)
        return databases["replica1"]["CONN_MAX_AGE"], databases["replica1"]["CONN_HEALTH_CHECKS"]

    assert deployed(DB_CONN_MAX_AGE="0") == (0, False)
    assert deployed(DB_CONN_HEALTH_CHECKS="false") == (60, False)
    assert deployed(DB_CONN_MAX_AGE="5", DB_CONN_HEALTH_CHECKS="true") == (5, True)


def test_malformed_connection_age_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DB_CONN_MAX_AGE='soon'"):
        build({"DB_CONN_MAX_AGE": "soon"}, tmp_path)


def test_auth_on_the_primary_leaves_out_every_auth_alias(tmp_path):
    without_auth_url = {key: value for key, value in MYSQL_URLS.items() if key != "AUTH_DATABASE_URL"}
    servers = build({**without_auth_url, "AUTH_ON_PRIMARY": "true"}, tmp_path)
    assert sorted(servers) == ["default", "primary", "replica1", "replica2"]
    # Given anyway, the auth URLs are not used.
    given = build({**MYSQL_URLS, "AUTH_REPLICA1_DATABASE_URL": MYSQL_URLS["REPLICA1_DATABASE_URL"],
                   "AUTH_ON_PRIMARY": "yes"}, tmp_path)  # fmt: skip
    assert sorted(given) == ["default", "primary", "replica1", "replica2"]
    embedded = build({"AUTH_ON_PRIMARY": "true"}, tmp_path)
    assert sorted(embedded) == ["default", "primary", "replica1", "replica2"]
    with pytest.raises(ImproperlyConfigured, match="AUTH_ON_PRIMARY='maybe' is not a boolean"):
        build({"AUTH_ON_PRIMARY": "maybe"}, tmp_path)
