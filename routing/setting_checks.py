"""Every ``ROUTING_*`` setting checked for type and value at start-up, each with a check id of its own.

Without these, a wrong value would surface later and elsewhere: a typo in
``ROUTING_READ_YOUR_WRITES`` would quietly mean the default, a string for
``ROUTING_COOLDOWN`` would raise on the first failed connection. A setting
that is not set is never an error here: its default applies. A ``ROUTING_``
name the package does not know is a warning that suggests the closest known
one.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.checks import Error, Warning, register

from routing.conf import READ_YOUR_WRITES_MODES
from routing.reporting import REPORT_HEADERS, REPORT_TO

# A problem with the value, or None when it is fine.
Validator = Callable[[object], str | None]


def _name(value) -> str | None:
    if not isinstance(value, str) or not value:
        return "must be a database alias (a non-empty string)"
    return None


def _optional_name(value) -> str | None:
    return None if value is None else _name(value)


def _names(value) -> str | None:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        return "must be a list or tuple of database aliases (a single alias is a string: wrap it in a list)"
    if not all(isinstance(item, str) and item for item in value):
        return "must contain only database aliases (non-empty strings)"
    if len(set(value)) != len(value):
        return "lists an alias twice"
    return None


def _apps(value) -> str | None:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        return "must be a list of app labels, such as ['auth', 'contenttypes', 'sessions', 'admin']"
    if not all(isinstance(item, str) and item for item in value):
        return "must contain only app labels (non-empty strings)"
    return None


def _seconds(*, positive: bool) -> Validator:
    def validate(value) -> str | None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return "must be a number of seconds (an int or a float, not a string)"
        if value < 0 or (positive and value == 0):
            return "must be greater than 0" if positive else "must not be negative"
        return None

    return validate


def _whole(*, positive: bool) -> Validator:
    def validate(value) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number (an int)"
        if value < 0 or (positive and value == 0):
            return "must be greater than 0" if positive else "must not be negative"
        return None

    return validate


def _one_of(choices: tuple[str, ...], *, none_allowed: bool = False) -> Validator:
    def validate(value) -> str | None:
        if value is None and none_allowed:
            return None
        if value not in choices:
            also = " (or None for the default)" if none_allowed else ""
            return f"must be one of {', '.join(map(repr, choices))}{also}"
        return None

    return validate


def _text(value) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _flag(*, none_allowed: bool) -> Validator:
    def validate(value) -> str | None:
        if value is None and none_allowed:
            return None
        if not isinstance(value, bool):
            return "must be True or False" + (" (or None for the default)" if none_allowed else "")
        return None

    return validate


def _samesite(value) -> str | None:
    if value in ("Lax", "Strict", "None", None, False):
        return None
    return "must be 'Lax', 'Strict', 'None' (the string), or None/False to leave the attribute out"


def _cookie_name(value) -> str | None:
    if not isinstance(value, str) or not value or any(char in value for char in ' ;,="\t'):
        return "must be a non-empty cookie name without spaces, ';', ',', '=' or quotes"
    return None


def _text_mapping(value) -> str | None:
    if not isinstance(value, Mapping):
        return "must be a dict of alias -> environment variable name"
    if not all(isinstance(key, str) and isinstance(item, str) for key, item in value.items()):
        return "must map strings to strings"
    return None


@dataclass(frozen=True)
class SettingSpec:
    name: str
    validate: Validator
    example: str  # a valid value, for the hint
    check_id: str


SPECS = (
    SettingSpec("ROUTING_PRIMARY", _name, '"primary"', "routing.E101"),
    SettingSpec("ROUTING_REPLICAS", _names, '["replica1", "replica2"]', "routing.E102"),
    SettingSpec("ROUTING_AUTH_DB", _optional_name, '"auth_db" (or None: no auth database)', "routing.E103"),
    SettingSpec("ROUTING_AUTH_REPLICAS", _names, '["auth_replica1"]', "routing.E104"),
    SettingSpec("ROUTING_AUTH_APPS", _apps, '["auth", "contenttypes", "sessions", "admin"]', "routing.E105"),
    # ROUTING_ALLOW_OVERRIDE has had its own check since the start: routing.E005.
    SettingSpec("ROUTING_MAX_REPLICA_LAG", _seconds(positive=False), "5", "routing.E107"),
    SettingSpec("ROUTING_MAX_REPLICA_LAG_BYTES", _whole(positive=False), "16 * 1024 * 1024", "routing.E108"),
    SettingSpec(
        "ROUTING_READ_YOUR_WRITES", _one_of(READ_YOUR_WRITES_MODES, none_allowed=True), '"causal"', "routing.E109"
    ),
    SettingSpec("ROUTING_CAUSAL_TIMEOUT", _seconds(positive=False), "0.2", "routing.E110"),
    SettingSpec("ROUTING_CAUSAL_TOKEN_TTL", _whole(positive=True), "60", "routing.E111"),
    SettingSpec("ROUTING_PIN_SECONDS", _seconds(positive=False), "5", "routing.E112"),
    SettingSpec("ROUTING_COOLDOWN", _seconds(positive=False), "10", "routing.E113"),
    SettingSpec("ROUTING_HEALTH_INTERVAL", _seconds(positive=True), "2", "routing.E114"),
    SettingSpec("ROUTING_HEALTH_TIMEOUT", _seconds(positive=True), "1", "routing.E115"),
    SettingSpec("ROUTING_RETRY_AFTER", _whole(positive=False), "5", "routing.E116"),
    SettingSpec("ROUTING_DOCTOR_START_HINT", _text, '"make db-up"', "routing.E117"),
    SettingSpec("ROUTING_DOCTOR_URL_VARIABLES", _text_mapping, '{"primary": "PRIMARY_DATABASE_URL"}', "routing.E118"),
    SettingSpec("ROUTING_REPORT_HEADERS", _one_of(REPORT_HEADERS), '"alias"', "routing.E119"),
    SettingSpec("ROUTING_REPORT_TO", _one_of(REPORT_TO), '"staff"', "routing.E120"),
    SettingSpec("ROUTING_COOKIE_NAME", _cookie_name, '"db_causal"', "routing.E121"),
    SettingSpec("ROUTING_COOKIE_SECURE", _flag(none_allowed=True), "True", "routing.E122"),
    SettingSpec("ROUTING_COOKIE_HTTPONLY", _flag(none_allowed=False), "True", "routing.E123"),
    SettingSpec("ROUTING_COOKIE_SAMESITE", _samesite, '"Lax"', "routing.E124"),
    SettingSpec("ROUTING_METRICS", _flag(none_allowed=True), "True", "routing.E125"),
    SettingSpec("ROUTING_METRICS_TOKEN", _text, '"a-long-random-token"', "routing.E126"),
    SettingSpec("ROUTING_LOG_REQUESTS", _flag(none_allowed=False), "True", "routing.E127"),
)
KNOWN = {spec.name for spec in SPECS} | {"ROUTING_ALLOW_OVERRIDE"}
UNKNOWN_SETTING_ID = "routing.W101"


@register("routing")
def check_setting_values(app_configs=None, **kwargs):
    errors = []
    for spec in SPECS:
        if not hasattr(settings, spec.name):
            continue
        value = getattr(settings, spec.name)
        problem = spec.validate(value)
        if problem is not None:
            errors.append(
                Error(
                    f"{spec.name} = {value!r} {problem}.",
                    hint=f"For example: {spec.name} = {spec.example}. Remove it to use the default.",
                    id=spec.check_id,
                )
            )
    return errors


@register("routing")
def check_unknown_settings(app_configs=None, **kwargs):
    warnings = []
    for name in sorted(dir(settings)):
        if not name.startswith("ROUTING_") or name in KNOWN:
            continue
        close = difflib.get_close_matches(name, sorted(KNOWN), n=1)
        hint = f"Did you mean {close[0]}?" if close else f"The package reads: {', '.join(sorted(KNOWN))}."
        warnings.append(
            Warning(
                f"{name} is not a setting of the routing package: it has no effect.", hint=hint, id=UNKNOWN_SETTING_ID
            )
        )
    return warnings
