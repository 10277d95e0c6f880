"""Post-processing: routing response headers and error responses on every operation.

Done in a hook rather than per view so no response is missed, including
DELETE's 204 that carries no body.
"""

from __future__ import annotations

from routing import reasons, tokens
from routing.conf import routing_settings
from routing.reporting import ALIAS_HEADER, NO_ALIAS, REASON_HEADER, TIMING_HEADER

ERROR_SCHEMA = "Error"
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def _token_headers() -> dict[str, dict]:
    return {
        tokens.HEADER_NAME: {
            "description": "After a committed write: send it back (header or the `db_causal` cookie, set at "
            "the same time) so your next reads see this write.",
            "schema": {"type": "string"},
        },
    }


def _headers() -> dict[str, dict]:
    return {
        ALIAS_HEADER: {
            "description": "The data alias that served the request "
            f"(`{NO_ALIAS}` when a routing override was refused and nothing ran).",
            "schema": {"type": "string", "enum": [*routing_settings.data_aliases, NO_ALIAS]},
        },
        REASON_HEADER: {
            "description": "Why the request was served there.",
            "schema": {"type": "string", "enum": list(reasons.ALL)},
        },
        TIMING_HEADER: {
            "description": 'One entry per alias that executed queries, e.g. `replica1;desc="3 queries";dur=1.20`, '
            "then `total;dur=...` for the whole request (milliseconds).",
            "schema": {"type": "string"},
        },
    }


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


def document_routing(result: dict, generator, request, public) -> dict:
    components = result.setdefault("components", {})
    _document_text_rules(components.get("schemas", {}))
    components.setdefault("headers", {}).update({**_headers(), **_token_headers()})
    components.setdefault("schemas", {})[ERROR_SCHEMA] = _error_schema()
    header_refs = {name: {"$ref": f"#/components/headers/{name}"} for name in _headers()}
    token_refs = {name: {"$ref": f"#/components/headers/{name}"} for name in _token_headers()}

    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    # Every query parameter sent empty (`?page=`, as forms do) means "not given".
                    parameter["allowEmptyValue"] = True
            responses = operation.setdefault("responses", {})
            for status, description in _error_responses(method, path, operation).items():
                responses.setdefault(status, _error_response(description))
            for status, response in responses.items():
                response.setdefault("headers", {}).update(header_refs)
                if method in _UNSAFE_METHODS and status.startswith("2"):
                    response["headers"].update(token_refs)
                if status in {"429", "503"}:
                    response["headers"]["Retry-After"] = {
                        "description": "Seconds to wait before retrying.",
                        "schema": {"type": "integer"},
                    }
    return result
