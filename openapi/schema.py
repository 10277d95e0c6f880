"""The schema class: every operation documents the routing override."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from routing import tokens
from routing.conf import PRIMARY, routing_settings
from routing.overrides import HEADER_NAME, QUERY_PARAM
from routing.policy import SAFE_METHODS


def routing_parameters(method: str) -> list[OpenApiParameter]:
    # Writes always run on the primary: a replica is not a value they accept.
    values = list(routing_settings.override_values) if method in SAFE_METHODS else [PRIMARY]
    replicas = ", ".join(f"`{replica}`" for replica in routing_settings.replicas) or "none configured"
    policy = (
        " Who may send what depends on the server's `ROUTING_ALLOW_OVERRIDE` policy; in production naming a "
        "replica needs a staff user, and a refused override is a 403 that lists the values you may send."
    )
    if method in SAFE_METHODS:
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
    causal = []
    if method in SAFE_METHODS:
        causal = [
            OpenApiParameter(
                tokens.HEADER_NAME,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The token a write returned: this read is served by a replica that has applied "
                "that write, or by the primary (read-your-writes). Also read from the `db_causal` cookie. "
                "A token this server did not sign is ignored (reason `causal-invalid`).",
            ),
            OpenApiParameter(
                tokens.COOKIE_NAME,
                OpenApiTypes.STR,
                OpenApiParameter.COOKIE,
                description=f"Set by a write; the same token as the `{tokens.HEADER_NAME}` header.",
            ),
        ]
    return [
        OpenApiParameter(HEADER_NAME, OpenApiTypes.STR, OpenApiParameter.HEADER, enum=values, description=description),
        OpenApiParameter(
            QUERY_PARAM,
            OpenApiTypes.STR,
            OpenApiParameter.QUERY,
            enum=values,
            description=f"Same as the `{HEADER_NAME}` header, for clients that cannot set headers. "
            "If both are given they must agree.",
        ),
        *causal,
    ]


class RoutingAutoSchema(AutoSchema):
    def get_override_parameters(self):
        return [*super().get_override_parameters(), *routing_parameters(self.method)]
