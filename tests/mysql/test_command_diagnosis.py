"""The guide's lost hours: `manage.py migrate` on a wrong port, password or database prints the diagnosis."""

import os

import pytest

from tests.command_diagnosis import assert_diagnosed, broken_url, manage
from tests.replication import free_port

PRIMARY = os.environ.get("PRIMARY_DATABASE_URL", "")


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        # mysqlclient (libmariadb) says 2002 for a refused TCP connection, PyMySQL 2003.
        ({"port": "free"}, {"2002", "2003"}, ["Nothing is listening on 127.0.0.1:", "PRIMARY_DATABASE_URL"]),
        ({"password": "not-the-password"}, "1045", ["Access denied for 'app'", " --host=127.0.0.1 --port="]),
        # test_* is within the app user's grants, so the server says "unknown", not "no rights" (1044).
        ({"database": "test_my_db"}, "1049", ["Database 'test_my_db' does not exist", "CREATE DATABASE `test_my_db`"]),
    ],
)
def test_migrate_on_a_broken_primary_url(change, code, words):
    if change.get("port") == "free":
        change = {"port": free_port()}
    result = manage("migrate", "--no-input", PRIMARY_DATABASE_URL=broken_url(PRIMARY, **change))
    printed = assert_diagnosed(result, "primary", code, *words)
    assert "not-the-password" not in printed


def test_shell_and_createsuperuser_are_diagnosed_too():
    primary = broken_url(PRIMARY, database="test_my_db")
    auth = broken_url(PRIMARY, database="test_my_db_auth")
    commands = [
        ["shell", "-c", "from api.models import Article; Article.objects.count()"],
        ["createsuperuser", "--no-input", "--username", "admin", "--email", "admin@example.com"],
    ]
    for args in commands:
        result = manage(
            *args, PRIMARY_DATABASE_URL=primary, AUTH_DATABASE_URL=auth, DJANGO_SUPERUSER_PASSWORD="an-admin-password"
        )
        assert_diagnosed(result, "primary", "1049")
