"""Settings for the routed REST API.

Configuration comes from the environment, or from the dotenv file named by
``ENV_FILE`` (default ``.env``); real environment variables win over the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from project.databases import (
    AUTH_REPLICAS,
    REPLICAS,
    URL_VARIABLES,
    configured_databases,
    engines_in_use,
    missing_postgresql_driver,
    primary_with_replicas,
    single_database,
    uses_mysql,
    uses_postgresql,
)
from project.databases import (
    env_flag as environment_flag,
)
from project.mysql_driver import select_driver

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = Path(os.environ.get("ENV_FILE", ".env"))
load_dotenv(ENV_FILE if ENV_FILE.is_absolute() else BASE_DIR / ENV_FILE, override=False)


def env_flag(name: str, default: bool) -> bool:
    return environment_flag(os.environ, name, default)


def env_int(name: str, default: int, minimum: int = 1) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number of at least {minimum}.")
    return int(value)


def env_seconds(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")  # refused below, with the same message
    if not 0 < seconds < float("inf"):
        raise ImproperlyConfigured(f"{name}={value!r} is not a number of seconds above 0.")
    return seconds


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
# DEBUG is on by default so `make run` needs no configuration. A deployment
# names its public hosts; forgetting DEBUG=false there would serve debug
# pages to the world, so that combination refuses to start.
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}
if DEBUG and not set(ALLOWED_HOSTS) <= _LOCAL_HOSTS:
    raise ImproperlyConfigured(
        f"DEBUG is on but ALLOWED_HOSTS names non-local hosts {sorted(set(ALLOWED_HOSTS) - _LOCAL_HOSTS)}: "
        "debug pages would reach them. For a deployment set DEBUG=false and SECRET_KEY."
    )

# Data files (SQLite databases, test databases, collected static files) live
# in one git-ignored folder.
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
DATA_DIR = VAR_DIR / "data"
TEST_DATA_DIR = VAR_DIR / "test"
STATIC_ROOT = VAR_DIR / "static"
# SQLite cannot create the folder of its database file, and WhiteNoise warns
# about a missing STATIC_ROOT.
for folder in (DATA_DIR, TEST_DATA_DIR, STATIC_ROOT):
    folder.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    # The opt-in, routing-aware migrate, flush, loaddata, dumpdata,
    # createsuperuser and changepassword; before django.contrib.auth, whose own
    # createsuperuser/changepassword would otherwise win.
    "routing.commands",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "routing",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, so the override policy can recognise a staff user's
    # session; before the rest, so their error responses carry the routing
    # headers too. Sessions load lazily, inside the route: their auth_db
    # queries show up in Server-Timing.
    # Before routing: its override policy may check Basic credentials too.
    "project.login_limits.LoginFailureLimitMiddleware",
    "routing.middleware.RoutingMiddleware",
    "project.middleware.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project overrides of packaged templates (drf_spectacular/redoc.html: nothing from other origins).
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Production hardening -----------------------------------------------------

# HTTPS=true for a deployment behind TLS: redirect plain HTTP, mark cookies
# Secure, send HSTS. Off by default so `make serve` works on plain
# 127.0.0.1. Behind a proxy that terminates TLS, TRUST_X_FORWARDED_PROTO=true
# lets Django see that the original request was HTTPS.
HTTPS = env_flag("HTTPS", False)
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_flag("SECURE_COOKIES", HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", HTTPS)
if env_flag("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A load balancer probes health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "project.errors.csrf_failure"

# Largest request body accepted, in bytes (RequestBodyLimitMiddleware
# answers 413 above it). An article is text: 1 MiB is generous.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BYTES", 1_048_576))

# Databases and routing ------------------------------------------------------

DATABASES = configured_databases(os.environ, DATA_DIR, TEST_DATA_DIR, persistent=not DEBUG)
# mysqlclient, else PyMySQL standing in for it; `dbdoctor` reports the choice.
# Without either, Django cannot even load the models: stop here, saying why.
MYSQL_DRIVER = select_driver(os.environ.get("MYSQL_DRIVER", "auto")) if uses_mysql(DATABASES) else None
if MYSQL_DRIVER is not None and MYSQL_DRIVER.name is None:
    raise ImproperlyConfigured(MYSQL_DRIVER.missing_message())
# psycopg 3 (requirements.txt); Django's own error would name psycopg2 first.
if uses_postgresql(DATABASES) and (_missing_driver := missing_postgresql_driver()):
    raise ImproperlyConfigured(_missing_driver)
# The vendors in use ("sqlite", "mysql", "postgresql"): PostgreSQL data with a MariaDB auth_db is two.
DATABASE_ENGINES = sorted(engines_in_use(DATABASES))
ROUTING_PRIMARY = "primary"
ROUTING_REPLICAS = [alias for alias in REPLICAS if alias in DATABASES]
# Copies of auth_db on the replica servers, read while auth_db is unreachable.
ROUTING_AUTH_REPLICAS = [alias for alias in AUTH_REPLICAS if alias in DATABASES]
# AUTH_ON_PRIMARY=true: no auth database; the auth apps are routed like any other.
ROUTING_AUTH_DB = "auth_db" if "auth_db" in DATABASES else None
# AuthRouter only has work with an auth database.
DATABASE_ROUTERS = [
    *(["routing.routers.AuthRouter"] if ROUTING_AUTH_DB else []),
    "routing.routers.PrimaryReplicaRouter",
]
ROUTING_AUTH_APPS = ["auth", "contenttypes", "sessions", "admin"]
ROUTING_MAX_REPLICA_LAG = 5
# How often each process re-checks a replica, and how long a failed one sits out.
ROUTING_HEALTH_INTERVAL = env_seconds("ROUTING_HEALTH_INTERVAL", 2.0)
ROUTING_COOLDOWN = env_seconds("ROUTING_COOLDOWN", 10.0)
# Who may use X-DB-Alias / ?db= (all, primary-only, staff, off). A public
# deployment should not let anyone aim load at one chosen replica.
ROUTING_ALLOW_OVERRIDE = os.environ.get("ROUTING_ALLOW_OVERRIDE", "").strip().lower() or (
    "all" if DEBUG else "primary-only"
)
# How this project starts its local servers, for the doctor's advice on a refused connection.
_START_COMMANDS = {"mysql": "make db-up", "postgresql": "make pg-up"}
ROUTING_DOCTOR_START_HINT = "for this project's local servers: " + (
    " or ".join(_START_COMMANDS[engine] for engine in DATABASE_ENGINES if engine in _START_COMMANDS) or "make run"
)
ROUTING_DOCTOR_URL_VARIABLES = URL_VARIABLES
# GET /metrics: loopback clients only, unless a bearer token is set.
ROUTING_METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()

# The cache: the write throttle's and the login limits' counts. With REDIS_URL
# they hold across every worker and server sharing that Redis; without it,
# each process counts on its own.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Failed logins (login form and HTTP Basic) per username and per client address.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 300)
ROUTING_LOG_REQUESTS = env_flag("ROUTING_LOG_REQUESTS", False)
# Each of these switches off one part of routing's work per request; the
# benchmark measures what each costs. Unset: the routing package's defaults.
if os.environ.get("ROUTING_REPORT_HEADERS", "").strip():
    ROUTING_REPORT_HEADERS = os.environ["ROUTING_REPORT_HEADERS"].strip().lower()
if os.environ.get("ROUTING_METRICS", "").strip():
    ROUTING_METRICS = env_flag("ROUTING_METRICS", True)
if os.environ.get("ROUTING_READ_YOUR_WRITES", "").strip():
    ROUTING_READ_YOUR_WRITES = os.environ["ROUTING_READ_YOUR_WRITES"].strip().lower()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Auth and internationalisation ------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: served by WhiteNoise, so Swagger UI works under gunicorn with
# DEBUG off and never loads anything from a CDN.
STATIC_URL = "static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# REST framework and OpenAPI -------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Basic first: an anonymous write gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.WriteRateThrottle"],
    # Writes per user (per IP for anonymous requests); over it: 429 with Retry-After.
    "DEFAULT_THROTTLE_RATES": {"writes": os.environ.get("WRITE_THROTTLE_RATE", "60/min")},
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Routed Articles API",
    "DESCRIPTION": (
        "Articles and comments served through database routing: writes go to `primary`, reads to one "
        "replica per request, auth data to `auth_db`. Send `X-DB-Alias` (or `?db=`) to choose; every "
        "response says which alias served it (`X-DB-Alias`), why (`X-DB-Route-Reason`) and what each "
        "alias executed (`Server-Timing`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {
        "persistAuthorization": True,
        "displayRequestDuration": True,
        "showCommonExtensions": True,
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        # A custom list replaces the default one: keep the enum hook.
        "drf_spectacular.hooks.postprocess_schema_enums",
        "openapi.hooks.document_errors",
        # The routing package's: override parameters and routing headers on every operation.
        "routing.spectacular.document_routing",
        "openapi.hooks.allow_empty_query_values",
    ],
}

# Routing switch: the benchmark's baselines -----------------------------------

# ROUTING=off serves the same API as plain Django + DRF: no routing middleware,
# no routers, every query on the primary's database (which then also holds the
# auth tables). ROUTING=multidb uses django-multidb-router instead (installed
# only by requirements-bench.txt), for comparison.
ROUTING = os.environ.get("ROUTING", "").strip().lower() or "on"
if ROUTING not in {"on", "off", "multidb"}:
    raise ImproperlyConfigured(f"ROUTING={ROUTING!r}: use on (the default), off, or multidb.")
if ROUTING != "on":
    INSTALLED_APPS.remove("routing")
    INSTALLED_APPS.remove("routing.commands")
    _routing_middleware = MIDDLEWARE.index("routing.middleware.RoutingMiddleware")
    if ROUTING == "off":
        DATABASES = single_database(DATABASES)
        DATABASE_ROUTERS = []
        MIDDLEWARE.pop(_routing_middleware)
    else:
        DATABASES = primary_with_replicas(DATABASES)
        DATABASE_ROUTERS = ["multidb.PinningReplicaRouter"]
        REPLICA_DATABASES = [alias for alias in REPLICAS if alias in DATABASES]
        MULTIDB_PINNING_SECONDS = 5
        MIDDLEWARE[_routing_middleware] = "multidb.middleware.PinningRouterMiddleware"

# Demo user --------------------------------------------------------------------

DEMO_USER = os.environ.get("DEMO_USER", "")
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
