"""Production settings, checked the way a deployment starts: in a fresh process."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.live.server import embedded_environment

PROJECT = Path(__file__).resolve().parents[1]
# A key as `python -c "import secrets; print(secrets.token_urlsafe(50))"` makes one.
STRONG_KEY = "q3V9x-mS2kLr8Zt0WbN4yHc7JfPa6GdE1uRiKo5Xv_TnQlYw8BsMe2Uh"
# Settings the shell running the suite may have set, which would change the outcome.
AMBIENT = {
    "DEBUG", "SECRET_KEY", "HTTPS", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "WRITE_THROTTLE_RATE",
    "ROUTING_ALLOW_OVERRIDE", "MAX_REQUEST_BYTES", "TRUST_X_FORWARDED_PROTO",
}  # fmt: skip
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "api.example.com",
    "HTTPS": "true",
}


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = embedded_environment(tmp_path)
    # Only what each test sets: nothing from the shell that runs the suite.
    for variable in [name for name in clean if name in AMBIENT or name.startswith("SECURE_")]:
        del clean[variable]
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_the_production_variables(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_plain_http_lacks(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "HTTPS": "false"})
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path):
    result = manage(tmp_path, "check", DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_on_for_public_hosts_refuses_to_start(tmp_path):
    result = manage(tmp_path, "check", DEBUG="true", ALLOWED_HOSTS="api.example.com")
    assert result.returncode != 0
    assert "debug pages would reach them" in result.stderr


def test_no_demo_user_with_debug_off_unless_its_password_is_given(tmp_path):
    production = {**PRODUCTION, "HTTPS": "false"}
    assert manage(tmp_path, "migrate", "--no-input", **production).returncode == 0
    skipped = manage(tmp_path, "ensure_demo_user", **production)
    assert "Demo user skipped: DEBUG is off and DEMO_PASSWORD is not set" in skipped.stdout
    created = manage(tmp_path, "ensure_demo_user", DEMO_PASSWORD="a-long-demo-password", **production)
    assert "Demo user created" in created.stdout


@pytest.mark.parametrize(("debug", "policy"), [("true", "all"), ("false", "primary-only")])
def test_the_override_policy_follows_debug(tmp_path, debug, policy):
    env = PRODUCTION if debug == "false" else {"DEBUG": "true"}
    code = "from django.conf import settings; print(settings.ROUTING_ALLOW_OVERRIDE)"
    result = manage(tmp_path, "shell", "-c", code, **env)
    assert result.stdout.strip().splitlines()[-1] == policy, result.stderr


def test_writes_are_throttled_at_60_a_minute_unless_configured(tmp_path):
    code = "from django.conf import settings; print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['writes'])"
    assert manage(tmp_path, "shell", "-c", code).stdout.strip().splitlines()[-1] == "60/min"
    configured = manage(tmp_path, "shell", "-c", code, WRITE_THROTTLE_RATE="5/s")
    assert configured.stdout.strip().splitlines()[-1] == "5/s"


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf"])
def test_a_health_interval_that_is_not_seconds_stops_the_service_with_the_variable_named(tmp_path, value):
    result = manage(tmp_path, "check", ROUTING_HEALTH_INTERVAL=value)
    assert result.returncode != 0
    assert f"ROUTING_HEALTH_INTERVAL={value!r} is not a number of seconds above 0." in result.stderr


def test_the_health_interval_and_cooldown_come_from_the_environment(tmp_path):
    code = "from django.conf import settings; print(settings.ROUTING_HEALTH_INTERVAL, settings.ROUTING_COOLDOWN)"
    result = manage(tmp_path, "shell", "--no-imports", "-c", code, ROUTING_HEALTH_INTERVAL="0.5", ROUTING_COOLDOWN="3")
    assert result.stdout.split() == ["0.5", "3.0"], result.stderr


def test_with_auth_on_the_primary_users_log_in_from_the_primarys_database(tmp_path):
    layout = {"AUTH_ON_PRIMARY": "true", "DEMO_USER": "demo", "DEMO_PASSWORD": "demo-password-1"}
    assert manage(tmp_path, "migrate", "--no-input", **layout).returncode == 0
    assert manage(tmp_path, "ensure_demo_user", **layout).returncode == 0
    code = """
import base64
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"demo:demo-password-1").decode())
written = client.post("/api/articles/", {"title": "t", "body": "b"}, content_type="application/json")
read = client.get("/api/articles/")
print(settings.ROUTING_AUTH_DB, sorted(settings.DATABASES))
print(written.status_code, written["X-DB-Alias"], read.status_code, read["X-DB-Alias"], read.json()["count"])
"""
    result = manage(tmp_path, "shell", "--no-imports", "-c", code, **layout)
    lines = result.stdout.splitlines()
    assert lines[0] == "None ['default', 'primary', 'replica1', 'replica2']", result.stderr
    status, alias, read_status, read_alias, count = lines[1].split()
    assert (status, alias, read_status, count) == ("201", "primary", "200", "1")
    assert read_alias in {"replica1", "replica2"}
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == ["primary.sqlite3"], "no auth database"
