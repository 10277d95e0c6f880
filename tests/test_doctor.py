"""dbdoctor on whichever engine the suite runs on, plus its pure helpers.

The failures that need a real MySQL server are provoked in tests/mysql/.
"""

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command

from routing.diagnosis import Target, account_in
from routing.engines.base import ConnectError, explain
from routing.engines.mysql.doctor import global_bypass_privileges
from routing.engines.mysql.errors import EXPLANATIONS, server_advice
from routing.engines.mysql.greeting import UNKNOWN
from tests.conftest import ALL_DATABASES

pytestmark = pytest.mark.django_db(databases=ALL_DATABASES)


def test_test_databases_are_healthy():
    out = io.StringIO()
    call_command("dbdoctor", "--json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["healthy"] is True
    roles = {report["alias"]: report["role"] for report in document["aliases"]}
    assert roles == {
        "default": "default",
        "primary": "primary",
        "replica1": "replica",
        "replica2": "replica",
        "auth_db": "auth",
        **dict.fromkeys(settings.ROUTING_AUTH_REPLICAS, "replica"),
    }
    reports = {report["alias"]: report for report in document["aliases"]}
    assert reports["replica1"]["read_only"] is True
    assert reports["primary"]["read_only"] is False
    assert reports["default"]["target"] == "same database as 'primary'"


def test_unknown_alias_is_refused():
    with pytest.raises(Exception, match="Unknown alias"):
        call_command("dbdoctor", "--database", "replica9")


@pytest.mark.parametrize(
    ("grant", "found"),
    [
        ("GRANT SLAVE MONITOR ON *.* TO `app`@`%`", []),
        ("GRANT SUPER, SLAVE MONITOR ON *.* TO `app`@`%`", ["SUPER"]),
        ("GRANT READ ONLY ADMIN ON *.* TO `app`@`%`", ["READ ONLY ADMIN"]),
        ("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION", ["ALL PRIVILEGES"]),
        ("GRANT ALL PRIVILEGES ON `superset`.* TO `app`@`%`", []),  # one database, and not SUPER
        ("GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*ABC'", []),
    ],
)
def test_privileges_that_bypass_read_only(grant, found):
    assert global_bypass_privileges(grant) == found


@pytest.mark.parametrize(
    ("message", "account"),
    [
        ("Access denied for user 'app'@'127.0.0.1' to database 'x'", "'app'@'127.0.0.1'"),
        ("Access denied for user 'app'@'localhost' to database 'x'", "'app'@'localhost'"),
        ("no account in this message", "'app'@'%'"),
    ],
)
def test_a_grant_names_the_account_the_server_matched(message, account):
    target = Target("primary", "127.0.0.1", "3306", "app", "x", "PRIMARY_DATABASE_URL")
    assert account_in(message, target) == account
    finding = explain(EXPLANATIONS, ConnectError("1044", message), target, **server_advice(UNKNOWN))
    assert finding.fix.endswith(f"TO {account};")
