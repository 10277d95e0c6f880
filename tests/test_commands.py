"""migrate, createsuperuser and the demo user: they work without naming a database."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from api.management.commands.ensure_demo_user import skip_reason
from api.models import Article
from project.databases import is_embedded
from routing.aliases import migration_aliases
from tests.conftest import ALL_DATABASES

# With `default`: createsuperuser checks for unapplied migrations on it.
pytestmark = pytest.mark.django_db(databases=[*ALL_DATABASES, "default"])


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_migrate_without_database_migrates_primary_then_auth_db():
    assert migration_aliases() == ["primary", "auth_db"]
    output = run("migrate", verbosity=1)
    assert output.index("Database 'primary':") < output.index("Database 'auth_db':")
    assert output.count("No migrations to apply.") == 2


@pytest.mark.parametrize("replica", ["replica1", "replica2"])
def test_migrate_refuses_a_replica(replica):
    with pytest.raises(CommandError, match=f"'{replica}' is a replica"):
        run("migrate", database=replica)


def test_migrate_refuses_default_which_is_the_primary():
    with pytest.raises(CommandError, match="'default' opens the same database as 'primary'"):
        run("migrate", database="default")


def test_migrate_named_database_still_works():
    assert "No migrations to apply." in run("migrate", database="auth_db")


def test_createsuperuser_without_database_writes_to_auth_db(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "an-admin-password")
    run("createsuperuser", "--no-input", username="admin", email="admin@example.com")
    admin = get_user_model().objects.db_manager("auth_db").get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("an-admin-password")


def test_changepassword_without_database_finds_the_user_on_auth_db(monkeypatch):
    get_user_model().objects.create_user("grace", password="old-password-1")
    answers = iter(["new-password-2", "new-password-2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("changepassword", "grace")
    assert get_user_model().objects.get(username="grace").check_password("new-password-2")


def test_demo_user_without_variables(settings):
    settings.DEBUG = True  # as under `make run`; the test runner turns it off
    settings.DEMO_USER, settings.DEMO_PASSWORD = "", ""
    if is_embedded(settings.DATABASES):
        # The embedded default: demo/demo, created once and kept.
        assert "Demo user created. Log in with demo / demo" in run("ensure_demo_user")
        assert "exists" in run("ensure_demo_user")
        assert get_user_model().objects.get(username="demo").check_password("demo")
    else:
        # Real servers: never a well-known password unless asked for.
        assert "Demo user skipped: set DEMO_PASSWORD" in run("ensure_demo_user")
        assert not get_user_model().objects.filter(username="demo").exists()


def test_demo_user_from_the_environment(settings):
    settings.DEMO_USER, settings.DEMO_PASSWORD = "visitor", "first-pass"
    run("ensure_demo_user")
    settings.DEMO_PASSWORD = "second-pass"
    assert "password updated" in run("ensure_demo_user")
    assert get_user_model().objects.get(username="visitor").check_password("second-pass")


@pytest.mark.parametrize(
    ("embedded", "debug", "user", "password", "created"),
    [
        (True, True, "", "", True),  # embedded default: demo/demo
        (False, True, "", "", False),  # real servers: only when asked
        (False, True, "visitor", "pw", True),
        (False, True, "admin", "", False),  # a user name alone would get the public password
        (False, False, "visitor", "", False),  # production: never a default password
        (True, False, "", "", False),
        (False, False, "visitor", "pw", True),
    ],
)
def test_when_a_demo_user_may_be_created(embedded, debug, user, password, created):
    reason = skip_reason(embedded=embedded, debug=debug, demo_user=user, demo_password=password)
    assert (reason is None) is created


def test_dumpdata_reads_the_database_the_app_lives_in(alice, article):
    dumped = json.loads(run("dumpdata", "api"))
    assert [item["fields"]["title"] for item in dumped if item["model"] == "api.article"] == ["First"]
    users = json.loads(run("dumpdata", "auth.user"))
    assert [item["fields"]["username"] for item in users] == ["alice"]


def test_dumpdata_of_apps_in_two_databases_says_how_to_split(alice):
    with pytest.raises(CommandError) as refused:
        run("dumpdata")
    assert "--database primary for api;" in str(refused.value)
    assert "--database auth_db for admin, auth, contenttypes, sessions" in str(refused.value)


def test_loaddata_puts_each_object_in_its_own_database(tmp_path):
    fixture = tmp_path / "mixed.json"
    fixture.write_text(
        json.dumps(
            [
                {"model": "auth.user", "pk": 50, "fields": {"username": "fixture-user", "password": "!"}},
                {
                    "model": "api.article",
                    "pk": 60,
                    "fields": {
                        "title": "From a fixture",
                        "author": 50,
                        "created_at": "2026-01-01T00:00:00Z",
                        "updated_at": "2026-01-01T00:00:00Z",
                    },
                },
            ]
        )
    )
    run("loaddata", str(fixture), verbosity=0)
    assert get_user_model().objects.db_manager("auth_db").filter(username="fixture-user").exists()
    assert Article.objects.using("primary").get(pk=60).author.username == "fixture-user"


def test_flush_without_database_empties_every_database(alice, article):
    run("flush", interactive=False, verbosity=0)
    assert not Article.objects.exists()
    assert not get_user_model().objects.exists()


ROUTING_AWARE = ("migrate", "flush", "loaddata", "dumpdata", "createsuperuser", "changepassword")


def command_owners() -> dict[str, str]:
    from django.core.management import get_commands

    get_commands.cache_clear()
    try:
        return {name: get_commands()[name] for name in ROUTING_AWARE}
    finally:
        get_commands.cache_clear()


def test_the_routing_aware_commands_are_opt_in(settings):
    # This project asks for them.
    assert set(command_owners().values()) == {"routing.commands"}
    # A project with only "routing" keeps Django's own.
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "routing.commands"]
    owners = command_owners()
    assert owners == {
        "migrate": "django.core",
        "flush": "django.core",
        "loaddata": "django.core",
        "dumpdata": "django.core",
        "createsuperuser": "django.contrib.auth",
        "changepassword": "django.contrib.auth",
    }
