"""An engine routing has no adapter for: it routes, but knows nothing of its replication."""

from __future__ import annotations

from routing.diagnosis import AliasReport, Target
from routing.engines.base import UNREAD, Engine, ReplicaStatus


class Unknown(Engine):
    vendor = "unknown"
    display_name = "an engine without a routing adapter"

    def probe_params(self, params: dict, timeout: float) -> dict:
        return params

    def replica_status(self, cursor) -> ReplicaStatus | None:
        # Reachable is all that can be told; lag is unknown, not zero.
        cursor.execute("SELECT 1")
        return ReplicaStatus(receiving=True, applying=True, state="unknown")

    def primary_position(self, cursor) -> str:
        cursor.execute("SELECT 1")
        return ""

    def diagnose(self, handler, report: AliasReport, target: Target, create_missing: bool):
        report.target = str(handler.settings[report.alias].get("NAME"))
        self.open(handler, report, target)
        report.notes.append("routing has no adapter for this engine: only reachability is checked")
        return UNREAD


ENGINE = Unknown()
POSITIONS = ()
