"""The routing package in a project of its own: routers, middleware, headers, checks, commands.

Nothing here imports this repository's demo service; ``make test-matrix`` runs
these tests against each supported Python and Django, with the package
installed from its wheel.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command, get_commands
from django.db import connections, router

import routing
from routing import pin
from tests.package.notes.models import Note

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "primary", "replica", "auth_db"])


def replica_has(count: int, timeout: float = 10) -> None:
    """Wait until the replica holds ``count`` notes (instant on SQLite, a moment on real replication)."""
    deadline = time.monotonic() + timeout
    while True:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM notes_note")
            if cursor.fetchone()[0] >= count:
                return
        assert time.monotonic() < deadline, "the replica did not receive the write"
        time.sleep(0.05)


def test_a_write_goes_to_the_primary_and_a_read_to_the_replica(client):
    written = client.post("/notes/", {"text": "hello"})
    assert written.status_code == 201
    assert (written["X-DB-Alias"], written["X-DB-Route-Reason"]) == ("primary", "unsafe-method")
    replica_has(1)
    read = client.get("/notes/", HTTP_X_DB_CAUSAL_TOKEN="")
    assert read.json() == {"notes": ["hello"]}
    assert read["X-DB-Alias"] in {"replica", "primary"}  # a fresh writer may be sent to the primary
    fresh = client.__class__()  # no cookie: plainly routed
    assert fresh.get("/notes/")["X-DB-Alias"] == "replica"


def test_the_override_forces_the_primary(client):
    response = client.get("/notes/", HTTP_X_DB_ALIAS="primary")
    assert (response["X-DB-Alias"], response["X-DB-Route-Reason"]) == ("primary", "header")
    assert "X-DB-Alias" in response["Vary"]


def test_an_override_naming_an_unknown_alias_is_a_400(client):
    response = client.get("/notes/?db=nowhere")
    assert response.status_code == 400
    assert response.json()["code"]


def test_auth_models_live_on_the_auth_database():
    assert router.db_for_write(User) == "auth_db"
    assert router.db_for_read(User) == "auth_db"
    assert router.db_for_write(Note) == "primary"


def test_without_an_auth_database_auth_is_routed_like_the_rest(settings):
    del settings.ROUTING_AUTH_DB  # as a project that never set it
    assert router.db_for_write(User) == "primary"
    with pin("replica"):
        assert router.db_for_read(User) == "replica"


def test_pin_sends_reads_where_it_says():
    with pin("replica"):
        assert router.db_for_read(Note) == "replica"
        assert routing.current_route().alias == "replica"
    assert routing.current_route() is None
    assert router.db_for_read(Note) == "primary"


def test_the_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_djangos_own_commands_keep_their_meaning():
    get_commands.cache_clear()
    assert get_commands()["flush"] == "django.core"
    assert get_commands()["createsuperuser"] == "django.contrib.auth"


def test_the_reporting_setting_is_honoured(client, settings):
    settings.ROUTING_REPORT_HEADERS = "none"
    response = client.get("/notes/")
    assert "X-DB-Alias" not in response
    assert "Server-Timing" not in response


def test_the_version_is_the_distributions():
    from importlib.metadata import PackageNotFoundError, version

    try:
        assert version("django-per-request-routing") == routing.__version__
    except PackageNotFoundError:  # run from a checkout that never installed it
        assert routing.__version__
