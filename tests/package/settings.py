"""A minimal project for the routing package's own tests: no api/, no project/, only routing and one app.

It is configured as the package README says: a primary, a replica and an auth
database, on SQLite by default. ``PACKAGE_TEST_DATABASE`` chooses PostgreSQL or
MySQL instead, from the same URL variables the topology suites set
(``PRIMARY_DATABASE_URL``, ``REPLICA1_DATABASE_URL``, ``AUTH_DATABASE_URL``).
"""

import os
import tempfile
from pathlib import Path

SECRET_KEY = "package-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
ROOT_URLCONF = "tests.package.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "routing",
    "tests.package.notes",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "routing.middleware.RoutingMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASE_ROUTERS = ["routing.routers.AuthRouter", "routing.routers.PrimaryReplicaRouter"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The test runner: `default` and the replica mirror the primary's test database;
# no alias depends on `default` (Django's default dependency), which is a mirror.
MIRROR = {"MIRROR": "primary", "DEPENDENCIES": []}
OWN = {"DEPENDENCIES": []}


def _sqlite() -> dict:
    folder = Path(os.environ.get("PACKAGE_TEST_DIR") or tempfile.mkdtemp(prefix="routing-package-"))
    primary = folder / "primary.sqlite3"
    engine = "django.db.backends.sqlite3"
    return {
        "default": {"ENGINE": engine, "NAME": primary, "TEST": MIRROR},
        "primary": {"ENGINE": engine, "NAME": primary, "TEST": {**OWN, "NAME": folder / "test-primary.sqlite3"}},
        "replica": {
            "ENGINE": engine,
            "NAME": primary.as_uri() + "?mode=ro",
            "OPTIONS": {"init_command": "PRAGMA query_only = 1"},
            "TEST": MIRROR,
        },
        "auth_db": {
            "ENGINE": engine,
            "NAME": folder / "auth.sqlite3",
            "TEST": {**OWN, "NAME": folder / "test-auth.sqlite3"},
        },
    }


def _servers() -> dict:
    import dj_database_url

    def parse(variable: str) -> dict:
        return dj_database_url.parse(os.environ[variable])

    primary, replica, auth = parse("PRIMARY_DATABASE_URL"), parse("REPLICA1_DATABASE_URL"), parse("AUTH_DATABASE_URL")
    return {
        "default": {**primary, "TEST": MIRROR},
        "primary": {**primary, "TEST": OWN},
        # A real replica of the primary's test database, by replication.
        "replica": {**replica, "TEST": MIRROR},
        "auth_db": {**auth, "TEST": OWN},
    }


DATABASES = _servers() if os.environ.get("PACKAGE_TEST_DATABASE", "sqlite") != "sqlite" else _sqlite()
ROUTING_PRIMARY = "primary"
ROUTING_REPLICAS = ["replica"]
ROUTING_AUTH_DB = "auth_db"
