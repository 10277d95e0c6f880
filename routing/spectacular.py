"""drf-spectacular integration: every operation documents the routing override and the routing headers.

Optional (``pip install 'django-per-request-routing[spectacular]'``). One
setting adds it: the hook at the end of drf-spectacular's post-processing
hooks (a custom list replaces drf-spectacular's default, so keep its enum
hook)::

    SPECTACULAR_SETTINGS = {
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "routing.spectacular.document_routing",
        ],
    }

Every operation then lists the ``X-DB-Alias`` header and ``?db=`` query
parameter (the values it accepts: a write takes only ``primary``), safe
operations the causal token (header and cookie), and every response the
routing headers that ``ROUTING_REPORT_HEADERS`` sends, plus the token on the
successful responses of writes. It works on the generated document, so no
response is missed, not even a bodiless 204.
"""

from __future__ import annotations

from routing import reasons, tokens
from routing.conf import PRIMARY, routing_settings
from routing.overrides import HEADER_NAME, QUERY_PARAM
from routing.reporting import ALIAS_HEADER, NO_ALIAS, REASON_HEADER, REPORT_ALIAS, REPORT_NONE, TIMING_HEADER

__all__ = ["document_routing", "override_parameters", "response_headers"]

_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_SAFE_METHODS = {"get", "head", "options"}


def override_parameters(method: str) -> list[dict]:
    """The OpenAPI parameters routing reads on an operation of ``method`` (lower case)."""
    safe = method in _SAFE_METHODS
    values = list(routing_settings.override_values) if safe else [PRIMARY]
    replicas = ", ".join(f"`{replica}`" for replica in routing_settings.replicas) or "none configured"
    policy = (
        " Who may send what depends on the server's `ROUTING_ALLOW_OVERRIDE` policy; a refused override is a 403 "
        "that lists the values you may send."
    )
    if safe:
        description = (
            "Which database serves this request. `primary`: every query on the primary (read-after-write). "
            f"`replica`: let the router pick one replica (the default). A replica alias ({replicas}): that replica. "
            "Any other value is a 400." + policy
        )
    else:
        description = (
            "A write always runs on the primary: `primary` is the only value accepted (it changes nothing). "
            "Any other value is a 400 and nothing is written." + policy
        )
    schema = {"type": "string", "enum": values}
    parameters = [
        {"in": "header", "name": HEADER_NAME, "schema": schema, "description": description},
        {
            "in": "query",
            "name": QUERY_PARAM,
            "schema": dict(schema),
            "description": f"Same as the `{HEADER_NAME}` header, for clients that cannot set headers. "
            "If both are given they must agree.",
        },
    ]
    if safe:
        cookie = routing_settings.cookie_name
        parameters += [
            {
                "in": "header",
                "name": tokens.HEADER_NAME,
                "schema": {"type": "string"},
                "description": "The token a write returned: this read is served by a replica that has applied "
                f"that write, or by the primary (read-your-writes). Also read from the `{cookie}` cookie. "
                "A token this server did not sign is ignored (reason `causal-invalid`).",
            },
            {
                "in": "cookie",
                "name": cookie,
                "schema": {"type": "string"},
                "description": f"Set by a write; the same token as the `{tokens.HEADER_NAME}` header.",
            },
        ]
    return parameters


def response_headers() -> dict[str, dict]:
    """The routing headers responses carry, as ``ROUTING_REPORT_HEADERS`` chooses them."""
    chosen = routing_settings.report_headers
    if chosen == REPORT_NONE:
        return {}
    headers = {
        ALIAS_HEADER: {
            "description": "The data alias that served the request "
            f"(`{NO_ALIAS}` when a routing override was refused and nothing ran).",
            "schema": {"type": "string", "enum": [*routing_settings.data_aliases, NO_ALIAS]},
        },
    }
    if chosen == REPORT_ALIAS:
        return headers
    headers[REASON_HEADER] = {
        "description": "Why the request was served there.",
        "schema": {"type": "string", "enum": list(reasons.ALL)},
    }
    headers[TIMING_HEADER] = {
        "description": 'One entry per alias that executed queries, e.g. `replica1;desc="3 queries";dur=1.20`, '
        "then `total;dur=...` for the whole request (milliseconds).",
        "schema": {"type": "string"},
    }
    return headers


def token_headers() -> dict[str, dict]:
    return {
        tokens.HEADER_NAME: {
            "description": f"After a committed write: send it back (header or the `{routing_settings.cookie_name}` "
            "cookie, set at the same time) so your next reads see this write.",
            "schema": {"type": "string"},
        },
    }


def _sorted_parameters(parameters: list[dict]) -> list[dict]:
    """In the order drf-spectacular gives its own (its SORT_OPERATION_PARAMETERS setting)."""
    from drf_spectacular.settings import spectacular_settings

    key = spectacular_settings.SORT_OPERATION_PARAMETERS
    if callable(key):
        return sorted(parameters, key=key)
    if key:
        return sorted(parameters, key=lambda parameter: parameter["name"])
    return parameters


def document_routing(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: routing parameters and headers on every operation."""
    reported, token = response_headers(), token_headers()
    headers = result.setdefault("components", {}).setdefault("headers", {})
    headers.update({**reported, **token})
    reported_refs = {name: {"$ref": f"#/components/headers/{name}"} for name in reported}
    token_refs = {name: {"$ref": f"#/components/headers/{name}"} for name in token}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            present = {(parameter.get("in"), parameter.get("name")) for parameter in operation.get("parameters", [])}
            added = [p for p in override_parameters(method) if (p["in"], p["name"]) not in present]
            operation["parameters"] = _sorted_parameters([*operation.get("parameters", []), *added])
            for status, response in operation.setdefault("responses", {}).items():
                response.setdefault("headers", {}).update(reported_refs)
                if method not in _SAFE_METHODS and status.startswith("2"):
                    response["headers"].update(token_refs)
    return result
