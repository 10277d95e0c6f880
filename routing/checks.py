"""System checks: wiring mistakes are reported at start-up, not at the first request."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.checks import Error, Warning, register

from routing.access import OFF, POLICIES
from routing.aliases import same_database
from routing.conf import routing_settings

AUTH_ROUTER = "routing.routers.AuthRouter"
DATA_ROUTER = "routing.routers.PrimaryReplicaRouter"
MIDDLEWARE = "routing.middleware.RoutingMiddleware"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"


COMMANDS_APP = "routing.commands"


@register("routing")
def check_aliases(app_configs=None, **kwargs):
    errors = []
    databases = settings.DATABASES
    named = [("ROUTING_PRIMARY", routing_settings.primary)]
    if routing_settings.auth_db is not None:  # optional: without it, auth is routed like the rest
        named.append(("ROUTING_AUTH_DB", routing_settings.auth_db))
    named += [("ROUTING_REPLICAS", replica) for replica in routing_settings.replicas]
    named += [("ROUTING_AUTH_REPLICAS", replica) for replica in routing_settings.auth_replicas]
    for setting, alias in named:
        if alias not in databases:
            errors.append(
                Error(
                    f"{setting} names {alias!r}, which is not in DATABASES.",
                    hint=f"Add {alias!r} to DATABASES or change {setting}.",
                    id="routing.E001",
                )
            )
    if routing_settings.primary in routing_settings.replicas:
        errors.append(
            Error(
                f"ROUTING_REPLICAS lists the primary {routing_settings.primary!r}.",
                hint="Replicas are read-only copies; list only them.",
                id="routing.E002",
            )
        )
    if routing_settings.auth_db in routing_settings.data_aliases:
        errors.append(
            Error(
                f"ROUTING_AUTH_DB {routing_settings.auth_db!r} is also the primary or a replica.",
                hint=(
                    "Give the auth apps an alias of their own (it may point at another database on the same "
                    "server), or remove ROUTING_AUTH_DB to route them like every other app."
                ),
                id="routing.E003",
            )
        )
    primary = databases.get(routing_settings.primary)
    auth = databases.get(routing_settings.auth_db) if routing_settings.auth_db is not None else None
    if primary and auth and routing_settings.primary != routing_settings.auth_db and same_database(primary, auth):
        errors.append(
            Error(
                f"{routing_settings.primary!r} and {routing_settings.auth_db!r} point at the same database.",
                hint=(
                    "Both take migrations and would share one django_migrations table, so one alias's "
                    "migrations would be recorded as applied on the other. Use two databases."
                ),
                id="routing.E004",
            )
        )
    return errors


@register("routing")
def check_installation(app_configs=None, **kwargs):
    warnings = []
    routers = list(settings.DATABASE_ROUTERS)
    # Without ROUTING_AUTH_DB, AuthRouter has no opinion on any model: the data
    # router alone is a complete installation (and one call less per query).
    auth_router_wanted = routing_settings.auth_db is not None
    wanted = [AUTH_ROUTER, DATA_ROUTER] if auth_router_wanted else [DATA_ROUTER]
    if not set(wanted) <= set(routers):
        warnings.append(
            Warning(
                "The routing routers are not both installed."
                if auth_router_wanted
                else "PrimaryReplicaRouter is not installed.",
                hint=f"Set DATABASE_ROUTERS = {json.dumps(wanted)}.",
                id="routing.W001",
            )
        )
    elif auth_router_wanted and AUTH_ROUTER in routers and routers.index(AUTH_ROUTER) > routers.index(DATA_ROUTER):
        warnings.append(
            Warning(
                "PrimaryReplicaRouter comes before AuthRouter, so auth models would be routed to the primary.",
                hint=f"List {AUTH_ROUTER} first in DATABASE_ROUTERS.",
                id="routing.W002",
            )
        )
    # PrimaryReplicaRouter answers for every model, so Django never asks a
    # router after it (AuthRouter there is W002's case).
    after = routers[routers.index(DATA_ROUTER) + 1 :] if DATA_ROUTER in routers else []
    after = [other for other in after if other != AUTH_ROUTER]
    if after:
        warnings.append(
            Warning(
                f"PrimaryReplicaRouter is not the last router: {', '.join(map(str, after))} after it is never asked, "
                "because PrimaryReplicaRouter answers for every model.",
                hint=f"Move {DATA_ROUTER} to the end of DATABASE_ROUTERS; your own routers go before it.",
                id="routing.W006",
            )
        )
    if MIDDLEWARE not in settings.MIDDLEWARE:
        warnings.append(
            Warning(
                "RoutingMiddleware is not installed: every read goes to the primary and nothing is reported.",
                hint=f'Add "{MIDDLEWARE}" to MIDDLEWARE.',
                id="routing.W003",
            )
        )
    # Only the opt-in commands care about order: Django takes a command from
    # the first app in INSTALLED_APPS that has one.
    apps = list(settings.INSTALLED_APPS)
    if (
        "django.contrib.auth" in apps
        and COMMANDS_APP in apps
        and apps.index(COMMANDS_APP) > apps.index("django.contrib.auth")
    ):
        warnings.append(
            Warning(
                f"'{COMMANDS_APP}' comes after 'django.contrib.auth' in INSTALLED_APPS, so Django's own "
                "createsuperuser and changepassword run, on the 'default' database instead of ROUTING_AUTH_DB.",
                hint=f"Move '{COMMANDS_APP}' above 'django.contrib.auth'.",
                id="routing.W004",
            )
        )
    return warnings


@register("routing")
def check_override_policy(app_configs=None, **kwargs):
    policy = routing_settings.allow_override
    if policy not in POLICIES:
        return [
            Error(
                f"ROUTING_ALLOW_OVERRIDE is {policy!r}; every override is refused until it is fixed.",
                hint=f"Use one of: {', '.join(POLICIES)}.",
                id="routing.E005",
            )
        ]
    middleware = list(settings.MIDDLEWARE)
    if (
        policy != OFF
        and MIDDLEWARE in middleware
        and SESSION_MIDDLEWARE in middleware
        and middleware.index(SESSION_MIDDLEWARE) > middleware.index(MIDDLEWARE)
    ):
        return [
            Warning(
                "RoutingMiddleware comes before SessionMiddleware, so staff users logged in through a "
                "session are not recognised by ROUTING_ALLOW_OVERRIDE (HTTP Basic still works).",
                hint=f"Move {MIDDLEWARE} below {SESSION_MIDDLEWARE}.",
                id="routing.W005",
            )
        ]
    return []
