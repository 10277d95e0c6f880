"""The cluster as text: the status table and topology.env."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# One row a server, tab-separated, as the superuser sees it. A standby reports
# where it has replayed to; the primary where it has written to.
FACTS_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
       COALESCE(round(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1)::text, ''),
       (SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'),
       COALESCE((SELECT status FROM pg_stat_wal_receiver), ''),
       COALESCE((SELECT sender_port::text FROM pg_stat_wal_receiver), ''),
       current_setting('port');
"""

COLUMNS = [
    "server",
    "port",
    "state",
    "role",
    "in_recovery",
    "receiver",
    "upstream",
    "lsn",
    "lag_s",
    "lag_bytes",
    "delay",
]


@dataclass(frozen=True)
class Facts:
    """What one running server says about itself (FACTS_SQL)."""

    in_recovery: bool
    lsn: str  # replayed (standby) or written (primary) WAL position, "16/B374D848"
    replay_age: float | None  # seconds since the last replayed commit was made on the primary
    delay_ms: int  # recovery_min_apply_delay
    receiver: str  # pg_stat_wal_receiver.status; "" when no WAL receiver runs
    sender_port: int | None
    port: int

    @classmethod
    def parse(cls, output: str) -> Facts:
        fields = output.rstrip("\n").split("\t")
        in_recovery, lsn, replay_age, delay_ms, receiver, sender_port, port = fields
        return cls(
            in_recovery=in_recovery == "t",
            lsn=lsn,
            replay_age=float(replay_age) if replay_age else None,
            delay_ms=int(delay_ms),
            receiver=receiver,
            sender_port=int(sender_port) if sender_port else None,
            port=int(port),
        )


def parse_lsn(lsn: str) -> int:
    """A WAL position as a byte offset: "16/B374D848" is 0x16 << 32 | 0xB374D848."""
    high, _, low = lsn.partition("/")
    return int(high, 16) << 32 | int(low, 16)


def format_seconds(milliseconds: int) -> str:
    seconds = milliseconds / 1000
    return f"{seconds:g}"


def describe_standby_lag(facts: Facts, primary_lsn: str | None) -> dict[str, str]:
    """lag_s and lag_bytes of a standby, against the primary's current WAL position.

    The age of the last replayed commit alone freezes while the primary is idle
    (an idle, healthy standby would look minutes behind), so a standby that has
    replayed everything the primary wrote lags 0 s whatever that age says.
    """
    if primary_lsn is None or not facts.lsn:
        return {"lag_s": "-", "lag_bytes": "-"}
    behind = max(0, parse_lsn(primary_lsn) - parse_lsn(facts.lsn))
    if behind == 0:
        seconds = "0"
    elif facts.replay_age is not None:
        seconds = f"{facts.replay_age:g}"
    else:
        seconds = "-"
    return {"lag_s": seconds, "lag_bytes": str(behind)}


def describe_running(
    name: str, facts: Facts, *, primary: str, primary_port: int, primary_lsn: str | None, log_file: str
) -> dict[str, str]:
    """One row of the status table for a running server; ``error`` when something needs the user."""
    row = {
        "state": "running",
        "port": str(facts.port),
        "role": "standby" if facts.in_recovery else "primary",
        "in_recovery": "t" if facts.in_recovery else "f",
        "lsn": facts.lsn or "-",
        "delay": format_seconds(facts.delay_ms) if facts.in_recovery else "-",
    }
    errors = []
    if facts.in_recovery:
        row["receiver"] = facts.receiver or "none"
        row["upstream"] = str(facts.sender_port) if facts.sender_port else "-"
        row.update(describe_standby_lag(facts, primary_lsn))
        if name == primary:
            errors.append("is the primary in topology.json but still in recovery: `make pg-up` finishes the failover")
        elif not facts.receiver:
            errors.append(f"receives no WAL (no WAL receiver): see {log_file}")
        elif facts.sender_port is not None and facts.sender_port != primary_port:
            errors.append(
                f"replicates from port {facts.sender_port}, but the primary ({primary}) is on {primary_port}: "
                "`make pg-up` points it at the primary"
            )
    elif name != primary:
        errors.append(
            f"runs as a primary, but {primary} is the primary: two primaries. Stop it; `make pg-up` then rebuilds it "
            f"as a standby of {primary}"
        )
    if errors:
        row["error"] = "; ".join(errors)
    return row


def format_status(rows: list[dict[str, str]]) -> str:
    table = [COLUMNS, *([row.get(column, "-") for column in COLUMNS] for row in rows)]
    widths = [max(len(line[index]) for line in table) for index in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]
    lines += [f"{row['server']}: {row['error']}" for row in rows if row.get("error")]
    lines += [f"{row['server']}: {row['note']}" for row in rows if row.get("note")]
    return "\n".join(lines)


def render_env(urls: Mapping[str, str], notes: list[str] | None = None) -> str:
    lines = [
        "# Written by `make pg-up`: the project's local PostgreSQL cluster (a primary, two hot standbys).",
        "# Use it with ENV_FILE=var/postgres/topology.env; `make pg-up` and `make pg-failover` rewrite it.",
        *(f"# {note}" for note in notes or []),
        *(f"{name}={url}" for name, url in urls.items()),
        "DEMO_USER=demo",
        "DEMO_PASSWORD=demo",
    ]
    return "\n".join(lines) + "\n"
