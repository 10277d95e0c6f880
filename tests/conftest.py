import base64

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from api.models import Article, Comment

# Every alias the service opens. Tests that read through a replica must commit
# their rows (transaction=True): a replica is a separate connection and cannot
# see another connection's uncommitted transaction.
ALL_DATABASES = ["default", "primary", "replica1", "replica2", "auth_db"]
REPLICAS = ["replica1", "replica2"]
UNSAFE_METHODS = ["post", "put", "patch", "delete"]

routed_db = pytest.mark.django_db(transaction=True, databases=ALL_DATABASES)

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The default hasher costs ~0.3 s per Basic-authenticated request.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
