"""System checks report wiring mistakes with stable ids."""

import warnings

import pytest
from django.core import checks

from routing.checks import check_aliases, check_installation


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_project_configuration_is_clean():
    assert checks.run_checks(tags=["routing"]) == []


def test_unknown_replica(settings):
    settings.ROUTING_REPLICAS = ["replica1", "replica9"]
    [error] = check_aliases()
    assert error.id == "routing.E001"
    assert "'replica9'" in error.msg


def test_primary_listed_as_replica(settings):
    settings.ROUTING_REPLICAS = ["primary", "replica1"]
    assert ids(check_aliases()) == ["routing.E002"]


def test_auth_db_shared_with_data(settings):
    settings.ROUTING_AUTH_DB = "replica1"
    assert "routing.E003" in ids(check_aliases())


def test_primary_and_auth_db_on_one_database(settings):
    databases = {**settings.DATABASES, "auth_db": settings.DATABASES["primary"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Django warns about overriding DATABASES
        settings.DATABASES = databases
        assert ids(check_aliases()) == ["routing.E004"]


@pytest.mark.parametrize(
    ("routers", "expected"),
    [
        ([], "routing.W001"),
        (["routing.routers.PrimaryReplicaRouter"], "routing.W001"),
        (["routing.routers.PrimaryReplicaRouter", "routing.routers.AuthRouter"], "routing.W002"),
    ],
)
def test_routers_missing_or_misordered(settings, routers, expected):
    settings.ROUTING_AUTH_DB = "auth_db"
    settings.DATABASE_ROUTERS = routers
    assert ids(check_installation()) == [expected]


@pytest.mark.parametrize(
    ("routers", "expected"),
    [
        (["routing.routers.PrimaryReplicaRouter"], []),
        (["routing.routers.AuthRouter", "routing.routers.PrimaryReplicaRouter"], []),
        (["routing.routers.PrimaryReplicaRouter", "routing.routers.AuthRouter"], []),
        (["routing.routers.AuthRouter"], ["routing.W001"]),
    ],
)
def test_without_an_auth_db_the_data_router_alone_is_enough(settings, routers, expected):
    settings.ROUTING_AUTH_DB = None
    settings.DATABASE_ROUTERS = routers
    assert ids(check_installation()) == expected


def test_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "routing.middleware.RoutingMiddleware"]
    assert ids(check_installation()) == ["routing.W003"]


def test_routing_commands_listed_after_auth(settings):
    apps = [app for app in settings.INSTALLED_APPS if app != "routing.commands"]
    settings.INSTALLED_APPS = [*apps, "routing.commands"]
    assert ids(check_installation()) == ["routing.W004"]


def test_routing_itself_may_come_anywhere(settings):
    apps = [app for app in settings.INSTALLED_APPS if app != "routing"]
    settings.INSTALLED_APPS = [*apps, "routing"]
    assert ids(check_installation()) == []


def test_the_public_api_is_what_all_names():
    import routing

    for name in routing.__all__:
        assert getattr(routing, name) is not None, name
    assert routing.health_snapshot.__module__ == "routing.snapshot"
    with pytest.raises(AttributeError):
        routing.not_public  # noqa: B018


def test_the_demo_uses_only_the_public_api():
    import ast
    from pathlib import Path

    project = Path(__file__).resolve().parents[1]
    # The optional modules are public as modules (each names its API in __all__).
    optional_modules = {"routing.metrics", "routing.spectacular"}
    private = []
    for folder in ("api", "openapi", "project"):
        for path in (project / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                if (module or "").startswith("routing.") and module not in optional_modules:
                    private.append(f"{path.relative_to(project)}: from {node.module} import ...")
    assert private == []
