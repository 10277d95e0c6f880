"""Post-processing: this API's error responses and input rules on every operation.

The routing parameters and headers come from the routing package's own hook
(routing.spectacular.document_routing), which runs after ``document_errors``
so the error responses get the routing headers too; ``allow_empty_query_values``
runs last, so the routing query parameter is covered as well.
"""

from __future__ import annotations

ERROR_SCHEMA = "Error"
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def _error_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            "detail": {"type": "string", "description": "What went wrong and, where possible, how to fix it."},
            "code": {"type": "string", "description": "Machine-readable error code."},
            "allowed": {
                "type": "array",
                "items": {"type": "string"},
                "description": "For a refused routing override: the values that are accepted.",
            },
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": "For invalid input: messages per field.",
            },
        },
        "required": ["detail", "code"],
    }


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}},
    }


def _error_responses(method: str, path: str, operation: dict) -> dict[str, dict]:
    errors = {
        "400": "Invalid input, or a routing override that is unknown, conflicting, or names a replica for a write.",
        # Wrong Basic credentials are refused on any method.
        "401": "Authentication required (writes), or the credentials sent are wrong.",
        "403": "A routing override this client may not use (`override_forbidden`, see ROUTING_ALLOW_OVERRIDE; "
        "`allowed` lists what it may send)"
        + (", or not the author: only the author may change or delete." if method in _UNSAFE_METHODS else "."),
        "406": "The Accept header asks for something other than JSON.",
        "503": "A database is unavailable or not migrated (`detail` names the cause and the fix); for a write, "
        "`primary_unavailable` while the primary is down, with Retry-After. Nothing was changed.",
    }
    if method in _UNSAFE_METHODS:
        errors["413"] = "The request body is larger than the server accepts (`request_too_large`)."
        errors["415"] = "The body is not JSON (send `Content-Type: application/json`)."
        errors["429"] = "Too many writes by this user: retry after the delay in Retry-After (`throttled`)."
    if "{" in path or "page" in {param.get("name") for param in operation.get("parameters", [])}:
        errors["404"] = "No such object, or a page past the end."
    return errors


# DRF's CharField refuses NUL characters (databases truncate or reject them).
_NO_NUL = "^[^\\x00]*$"


def _document_text_rules(schemas: dict) -> None:
    """Request bodies: text fields say they refuse NUL characters, as the serializers do."""
    for name, schema in schemas.items():
        if not name.endswith("Request"):
            continue
        for field in schema.get("properties", {}).values():
            if field.get("type") == "string" and not {"format", "enum", "pattern"} & field.keys():
                field["pattern"] = _NO_NUL


def document_errors(result: dict, generator, request, public) -> dict:
    components = result.setdefault("components", {})
    _document_text_rules(components.get("schemas", {}))
    components.setdefault("schemas", {})[ERROR_SCHEMA] = _error_schema()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in _error_responses(method, path, operation).items():
                responses.setdefault(status, _error_response(description))
            for status, response in responses.items():
                if status in {"429", "503"}:
                    response.setdefault("headers", {})["Retry-After"] = {
                        "description": "Seconds to wait before retrying.",
                        "schema": {"type": "integer"},
                    }
    return result


def allow_empty_query_values(result: dict, generator, request, public) -> dict:
    """Every query parameter sent empty (`?page=`, as forms do) means "not given"."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result
