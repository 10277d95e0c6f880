"""GET /api/health/: every database alias, checked now."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from routing import health_snapshot


class AliasHealthSerializer(serializers.Serializer):
    alias = serializers.CharField()
    role = serializers.ChoiceField(["primary", "replica", "auth"])
    reachable = serializers.BooleanField()
    position = serializers.CharField(
        help_text="Replication position (a GTID, or a PostgreSQL WAL position); empty on SQLite."
    )
    reason = serializers.CharField(help_text="Why the alias is unhealthy or out of the pick; empty when healthy.")
    lag_seconds = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Replicas: seconds behind the primary, a deliberate delay not counted; null when unknown.",
    )
    lag_bytes = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Replicas: changes received but not yet applied, in bytes, where the engine tells (PostgreSQL).",
    )
    delay_seconds = serializers.FloatField(
        required=False, help_text="Replicas: a deliberate apply delay (MASTER_DELAY, recovery_min_apply_delay)."
    )
    in_pick = serializers.BooleanField(required=False, help_text="Replicas: whether reads may be sent there now.")
    excluded_for_seconds = serializers.FloatField(
        required=False, help_text="Replicas: seconds left before an excluded replica is tried again."
    )


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        ["ok", "degraded", "down"],
        help_text="ok: every alias healthy; degraded: the primary works but something else does not; "
        "down: the primary is unreachable (writes are refused).",
    )
    aliases = AliasHealthSerializer(many=True)


class HealthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Health of every database alias (200 while the primary is reachable, else 503)",
        responses={200: HealthSerializer, 503: HealthSerializer},
    )
    def get(self, request: Request) -> Response:
        report = health_snapshot()
        aliases = report["aliases"]
        if not report["primary_reachable"]:
            status = "down"
        elif all(alias["reachable"] and not alias["reason"] for alias in aliases):
            status = "ok"
        else:
            status = "degraded"
        return Response({"status": status, "aliases": aliases}, status=200 if report["primary_reachable"] else 503)
