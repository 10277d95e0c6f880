"""dbdoctor on SQLite files (the MySQL failures are in tests/mysql/)."""

import copy

import pytest
from django.conf import settings

from routing.doctor import diagnose
from tests.conftest import ALL_DATABASES

pytestmark = pytest.mark.django_db(databases=ALL_DATABASES)


def test_missing_sqlite_file(tmp_path):
    databases = copy.deepcopy(settings.DATABASES)
    databases["auth_db"]["NAME"] = str(tmp_path / "nowhere.sqlite3")
    [report] = diagnose(databases, ["auth_db"])
    [finding] = report.findings
    assert finding.code == "missing-file"
    assert "manage.py migrate" in finding.fix


def test_unmigrated_sqlite_file(tmp_path):
    databases = copy.deepcopy(settings.DATABASES)
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    databases["auth_db"]["NAME"] = str(empty)
    [report] = diagnose(databases, ["auth_db"])
    assert [finding.code for finding in report.findings] == ["migrations"]
    assert report.migrations.endswith("not applied")
