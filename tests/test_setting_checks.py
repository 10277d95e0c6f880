"""Each ROUTING_* setting is checked for type and value, with a check id of its own."""

import pytest

from routing.setting_checks import SPECS, UNKNOWN_SETTING_ID, check_setting_values, check_unknown_settings


def findings(check) -> list[tuple[str, str]]:
    return [(message.id, message.msg) for message in check()]


def test_this_projects_settings_pass():
    assert findings(check_setting_values) == []
    assert findings(check_unknown_settings) == []


@pytest.mark.parametrize(
    ("name", "value", "check_id", "says"),
    [
        ("ROUTING_PRIMARY", "", "routing.E101", "non-empty string"),
        ("ROUTING_REPLICAS", "replica1", "routing.E102", "wrap it in a list"),
        ("ROUTING_REPLICAS", ["replica1", "replica1"], "routing.E102", "lists an alias twice"),
        ("ROUTING_AUTH_DB", 3, "routing.E103", "database alias"),
        ("ROUTING_AUTH_REPLICAS", [1], "routing.E104", "only database aliases"),
        ("ROUTING_AUTH_APPS", "auth", "routing.E105", "list of app labels"),
        ("ROUTING_MAX_REPLICA_LAG", "5", "routing.E107", "not a string"),
        ("ROUTING_MAX_REPLICA_LAG_BYTES", 1.5, "routing.E108", "whole number"),
        ("ROUTING_READ_YOUR_WRITES", "casual", "routing.E109", "'causal', 'window', 'off'"),
        ("ROUTING_CAUSAL_TIMEOUT", -1, "routing.E110", "must not be negative"),
        ("ROUTING_CAUSAL_TOKEN_TTL", 0, "routing.E111", "greater than 0"),
        ("ROUTING_PIN_SECONDS", True, "routing.E112", "number of seconds"),
        ("ROUTING_COOLDOWN", "10s", "routing.E113", "number of seconds"),
        ("ROUTING_HEALTH_INTERVAL", 0, "routing.E114", "greater than 0"),
        ("ROUTING_HEALTH_TIMEOUT", None, "routing.E115", "number of seconds"),
        ("ROUTING_RETRY_AFTER", -5, "routing.E116", "must not be negative"),
        ("ROUTING_DOCTOR_START_HINT", 3, "routing.E117", "must be a string"),
        ("ROUTING_DOCTOR_URL_VARIABLES", ["PRIMARY_DATABASE_URL"], "routing.E118", "dict"),
        ("ROUTING_REPORT_HEADERS", "alias-only", "routing.E119", "'all', 'alias', 'none'"),
        ("ROUTING_REPORT_TO", "admins", "routing.E120", "'everyone', 'staff'"),
        ("ROUTING_COOKIE_NAME", "db causal", "routing.E121", "without spaces"),
        ("ROUTING_COOKIE_SECURE", "yes", "routing.E122", "True or False"),
        ("ROUTING_COOKIE_HTTPONLY", None, "routing.E123", "True or False"),
        ("ROUTING_COOKIE_SAMESITE", "lax", "routing.E124", "'Lax', 'Strict'"),
    ],
)
def test_a_wrong_value_is_an_error_that_names_the_setting_and_the_fix(settings, name, value, check_id, says):
    setattr(settings, name, value)
    [(found_id, message)] = findings(check_setting_values)
    assert found_id == check_id
    assert message.startswith(f"{name} = {value!r}")
    assert says in message
    [error] = check_setting_values()
    assert error.hint.startswith(f"For example: {name} = ")


def test_every_setting_has_an_id_of_its_own():
    ids = [spec.check_id for spec in SPECS]
    assert len(ids) == len(set(ids))


def test_valid_values_pass(settings):
    settings.ROUTING_READ_YOUR_WRITES = None
    settings.ROUTING_MAX_REPLICA_LAG = 0.5
    settings.ROUTING_AUTH_APPS = {"auth", "sessions"}
    assert findings(check_setting_values) == []


def test_a_misspelt_setting_is_a_warning_with_the_right_name(settings):
    settings.ROUTING_READ_YOUR_WRITE = "causal"
    [(found_id, message)] = findings(check_unknown_settings)
    assert found_id == UNKNOWN_SETTING_ID
    assert message.startswith("ROUTING_READ_YOUR_WRITE is not a setting")
    [warning] = check_unknown_settings()
    assert warning.hint == "Did you mean ROUTING_READ_YOUR_WRITES?"


def test_the_defaults_name_no_alias_of_this_demo(settings):
    from routing.conf import routing_settings

    for name in ("ROUTING_PRIMARY", "ROUTING_REPLICAS", "ROUTING_AUTH_DB", "ROUTING_AUTH_REPLICAS"):
        delattr(settings, name)
    assert routing_settings.primary == "default"
    assert routing_settings.replicas == ()
    assert routing_settings.auth_db is None
