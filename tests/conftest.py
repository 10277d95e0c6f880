import base64
import functools

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import AsyncClient, Client
from rest_framework.test import APIClient

from api.models import Article, Comment
from routing.health import registry
from tests.replication import ENGINE, ON_POSTGRESQL, REPLICATED, close_raw_connections, wait_for_replicas

# Engine-specific tests are collected only where they apply (never skipped):
# tests/sqlite/ on SQLite, tests/mysql/ on MySQL, tests/postgresql/ on PostgreSQL.
# tests/package/ is the routing package's own project (its settings, no api/):
# make test-package and make test-matrix run it with --confcutdir, which keeps
# this file out of it.
collect_ignore = [folder for folder in ("sqlite", "mysql", "postgresql") if folder != ENGINE] + ["package"]

# Every alias the service opens. Tests that read through a replica must commit
# their rows (transaction=True): a replica is a separate connection and cannot
# see another connection's uncommitted transaction.
# `default` is left out: it is the primary under Django's name, and a test case
# opening a transaction on it would make the routers follow that transaction.
ALL_DATABASES = ["primary", "replica1", "replica2", "auth_db", *settings.ROUTING_AUTH_REPLICAS]
REPLICAS = ["replica1", "replica2"]
UNSAFE_METHODS = ["post", "put", "patch", "delete"]

routed_db = pytest.mark.django_db(transaction=True, databases=ALL_DATABASES)

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher costs ~0.3 s per Basic-authenticated request.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _writes_unthrottled(settings):
    # Some tests write hundreds of rows; tests/test_limits.py sets its own rates.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"writes": "1000000/min"}}
    # Throttling counts in the cache, and user ids repeat from test to test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_replica_health():
    # The health registry lives as long as the process; no test inherits a verdict.
    registry.reset()
    yield
    registry.reset()


@pytest.fixture(scope="session", autouse=True)
def _own_connections_closed_before_the_test_databases_are_dropped(request):
    """PostgreSQL refuses to drop a database that a connection is still open to.

    The waits of tests/replication.py keep connections of their own to the
    test databases; they must close before pytest-django drops those, so this
    fixture is set up after (and so torn down before) ``django_db_setup``.
    """
    if ON_POSTGRESQL:
        request.getfixturevalue("django_db_setup")
    yield
    close_raw_connections()


@pytest.fixture(autouse=True)
def _replicas_catch_up_before_each_request(request, monkeypatch):
    """On MySQL and PostgreSQL, every test-client request first waits for the replicas.

    The API tests are written once for both engines: "write, then read through
    a replica" must not depend on how fast replication happens to be. Tests
    about replication lag opt out with the ``replication_lag`` marker.
    """
    if not REPLICATED or request.node.get_closest_marker("replication_lag"):
        return
    sync_request, async_request = Client.request, AsyncClient.request

    @functools.wraps(sync_request)
    def waiting_request(self, **kwargs):
        wait_for_replicas()
        return sync_request(self, **kwargs)

    @functools.wraps(async_request)
    async def waiting_async_request(self, **kwargs):
        await sync_to_async(wait_for_replicas)()
        return await async_request(self, **kwargs)

    monkeypatch.setattr(Client, "request", waiting_request)
    monkeypatch.setattr(AsyncClient, "request", waiting_async_request)


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password=PASSWORD)


def basic_auth(username: str) -> str:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return f"Basic {token}"


@pytest.fixture
def alice():
    return make_user("alice")


@pytest.fixture
def bob():
    return make_user("bob")


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def alice_client(alice) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("alice"))
    return client


@pytest.fixture
def bob_client(bob) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("bob"))
    return client


@pytest.fixture
def article(alice) -> Article:
    return Article.objects.create(title="First", body="Hello", author=alice)


@pytest.fixture
def comment(article, bob) -> Comment:
    return Comment.objects.create(article=article, body="Nice", author=bob)


def timing_entries(response) -> dict[str, dict[str, str]]:
    """Server-Timing parsed into {name: {"desc": ..., "dur": ...}}."""
    entries = {}
    for entry in response.headers["Server-Timing"].split(", "):
        name, *params = entry.split(";")
        entries[name] = dict(param.split("=", 1) for param in params)
    return entries


def queried_aliases(response) -> set[str]:
    return set(timing_entries(response)) - {"total"}
