"""The OpenAPI schema documents the routing contract on every operation."""

from pathlib import Path

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

from tests.conftest import routed_db

REFERENCE_SCHEMA = Path(__file__).resolve().parent.parent / "openapi" / "schema.yml"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, items in schema["paths"].items():
        for method, operation in items.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_reference_schema_is_up_to_date(schema):
    generated = OpenApiYamlRenderer().render(schema, renderer_context={}).decode()
    assert generated == REFERENCE_SCHEMA.read_text(), "The API changed: run `make schema` and review the diff."


def test_every_endpoint_is_documented(schema):
    documented = {(path, method) for path, method, _ in operations(schema)}
    assert documented >= {
        ("/api/articles/", "get"),
        ("/api/articles/", "post"),
        ("/api/articles/{id}/", "get"),
        ("/api/articles/{id}/", "put"),
        ("/api/articles/{id}/", "patch"),
        ("/api/articles/{id}/", "delete"),
        ("/api/articles/{id}/comments/", "get"),
        ("/api/comments/", "get"),
        ("/api/comments/", "post"),
        ("/api/comments/{id}/", "get"),
        ("/api/comments/{id}/", "delete"),
    }


def test_every_operation_documents_the_override(schema):
    for path, method, operation in operations(schema):
        parameters = {(p["in"], p["name"]): p for p in operation["parameters"]}
        header, param = parameters[("header", "X-DB-Alias")], parameters[("query", "db")]
        expected = ["primary", "replica", "replica1", "replica2"] if method == "get" else ["primary"]
        assert header["schema"]["enum"] == expected, (path, method)
        assert param["schema"]["enum"] == expected, (path, method)


def test_every_response_documents_the_routing_headers(schema):
    headers = schema["components"]["headers"]
    assert headers["X-DB-Alias"]["schema"]["enum"] == ["primary", "replica1", "replica2", "none"]
    assert "replica-pick" in headers["X-DB-Route-Reason"]["schema"]["enum"]
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            assert {"X-DB-Alias", "X-DB-Route-Reason", "Server-Timing"} <= set(response["headers"]), (
                path,
                method,
                status,
            )


def test_delete_documents_its_204_with_headers(schema):
    response = schema["paths"]["/api/articles/{id}/"]["delete"]["responses"]["204"]
    assert "X-DB-Alias" in response["headers"]


def test_errors_are_documented(schema):
    post = schema["paths"]["/api/articles/"]["post"]["responses"]
    assert {"400", "401", "403", "503"} <= set(post)
    assert post["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "404" in schema["paths"]["/api/articles/{id}/"]["get"]["responses"]


@routed_db  # a GET like any other: routed to a replica
def test_schema_endpoint_serves_json(client: Client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@routed_db
def test_swagger_ui_is_served_without_a_cdn(client: Client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # the test runner turns DEBUG off
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://" not in html
    assert "http://" not in html
    assets = [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    ]
    for asset in assets:
        assert asset in html
        assert Client().get(asset).status_code == 200, asset


def test_causal_token_is_documented(schema):
    get = schema["paths"]["/api/articles/"]["get"]
    parameters = {(p["in"], p["name"]) for p in get["parameters"]}
    assert {("header", "X-DB-Causal-Token"), ("cookie", "db_causal")} <= parameters
    created = schema["paths"]["/api/articles/"]["post"]["responses"]["201"]
    assert "X-DB-Causal-Token" in created["headers"]
    unavailable = schema["paths"]["/api/articles/"]["post"]["responses"]["503"]
    assert "Retry-After" in unavailable["headers"]


def test_health_endpoint_is_documented(schema):
    health = schema["paths"]["/api/health/"]["get"]
    assert {"200", "503"} <= set(health["responses"])


def test_the_packages_hook_documents_only_the_headers_the_settings_send(settings):
    from routing.spectacular import document_routing

    settings.ROUTING_REPORT_HEADERS = "alias"
    document = {"paths": {"/x/": {"get": {"responses": {"200": {}}}, "post": {"responses": {"201": {}}}}}}
    result = document_routing(document, None, None, True)
    assert set(result["components"]["headers"]) == {"X-DB-Alias", "X-DB-Causal-Token"}
    get, post = result["paths"]["/x/"]["get"], result["paths"]["/x/"]["post"]
    assert set(get["responses"]["200"]["headers"]) == {"X-DB-Alias"}
    assert set(post["responses"]["201"]["headers"]) == {"X-DB-Alias", "X-DB-Causal-Token"}
    # A write accepts only `primary`; a read any alias, and the causal token.
    [post_header] = [p for p in post["parameters"] if p["name"] == "X-DB-Alias"]
    assert post_header["schema"]["enum"] == ["primary"]
    assert {p["name"] for p in get["parameters"]} == {"X-DB-Alias", "db", "X-DB-Causal-Token", "db_causal"}
