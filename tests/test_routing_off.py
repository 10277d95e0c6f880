"""ROUTING=off: the benchmark's baseline really is plain Django + DRF on one database.

Settings are read once per process, so the baseline runs in a subprocess of
its own, on its own data folder.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

PROBE = """
import json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.contrib.auth import get_user_model
from api.models import Article

call_command("migrate", verbosity=0)
author = get_user_model().objects.create_user("plain", password="plain-password-1")
Article.objects.create(title="Plain", author=author)
with CaptureQueriesContext(connections["default"]) as queries:
    response = Client(HTTP_HOST="localhost").get("/api/articles/")
print(json.dumps({
    "aliases": list(settings.DATABASES),
    "routers": settings.DATABASE_ROUTERS,
    "routing_installed": "routing" in settings.INSTALLED_APPS,
    "middleware": [m for m in settings.MIDDLEWARE if "routing" in m],
    "status": response.status_code,
    "count": response.json()["count"],
    "author": response.json()["results"][0]["author"],
    "headers": [h for h in response.headers if h.lower().startswith(("x-db", "server-timing"))],
    "queries_on_default": len(queries),
    "health": Client(HTTP_HOST="localhost").get("/api/health/").status_code,
}))
"""


def test_routing_off_is_plain_django_on_one_database(tmp_path):
    environment = {**os.environ, "ROUTING": "off", "VAR_DIR": str(tmp_path), "ENV_FILE": str(tmp_path / "none")}
    for name in [name for name in environment if name.endswith("_DATABASE_URL")]:
        del environment[name]  # the embedded database, whatever the suite runs on
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["aliases"] == ["default"]
    assert report["routers"] == []
    assert report["routing_installed"] is False
    assert report["middleware"] == []
    assert (report["status"], report["count"], report["author"]) == (200, 1, "plain")
    assert report["headers"] == []  # no X-DB-Alias, no Server-Timing: nothing reports routing
    assert report["queries_on_default"] == 3  # count, page, authors: all on the one database
    assert report["health"] == 404


def test_unknown_routing_mode_is_refused(tmp_path):
    environment = {**os.environ, "ROUTING": "sideways", "VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "ROUTING='sideways': use on (the default), off, or multidb." in result.stderr
