"""The benchmark's targets, each judged as data: met, missed (and by how much) or not judged.

Wall-clock targets (throughput ratios, µs costs) need the full run: a quick
run's 2 rounds of 1 s on a shared 2-core machine move by ±10%, so a quick ratio
of 0.86 says nothing about a 0.97 target. Its values are shown, not judged.
Deterministic targets (query counts, callgrind instruction counts) are judged
in every run: however short the run, a miss there is a real regression.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from bench.load import READ_SCENARIOS

TARGETS = {
    "read_ratio": 0.97,  # routed throughput / baseline, on every read scenario
    "like_for_like_ratio": 0.98,  # routing-same-dbs throughput / baseline, list and detail, every engine
    "overhead_margin_pt": 0.5,  # routing-same-dbs instructions over baseline: at most the peer's + this
    "decision_us": 5.0,
    "middleware_us": 50.0,
}
DECISION = "routing: router.db_for_read (both routers)"  # the micro-benchmarks' names (bench.inprocess)
MIDDLEWARE = "routing: middleware work per request"
TOO_SHORT = "too short to judge; run `make bench`"
NOT_MEASURED = "not measured in this run"
NOTHING_COMPLETED = "no round completed a request while the baseline's did: it stalled or hung"


class Status(StrEnum):
    MET = "met"
    MISSED = "missed"
    NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class Verdict:
    target: str  # what is judged: "sqlite list: routed/baseline"
    measured: str  # the value as printed: "0.958", "61.2 µs"; empty when not measured
    goal: str  # ">= 0.97", "< 50 µs"
    status: Status
    detail: str = ""  # missed: by how much; not judged: why

    def line(self) -> str:
        what = f"{self.target} {self.measured}".rstrip()
        if self.status is Status.MISSED:
            return f"MISSED: {what}, {self.detail}"
        if self.status is Status.NOT_JUDGED:
            return f"not judged: {what} (target {self.goal}), {self.detail}"
        return f"met: {what} (target {self.goal})"

    def as_dict(self) -> dict[str, str]:
        return {
            "target": self.target,
            "measured": self.measured,
            "goal": self.goal,
            "status": str(self.status),
            "detail": self.detail,
            "line": self.line(),
        }


@dataclass(frozen=True)
class Bound:
    """A numeric target: its limit, which side of it is good, and how its values print."""

    limit: float
    at_least: bool  # True: a value >= limit meets it (ratios); False: a value < limit does (costs)
    unit: str = ""
    digits: int = 3

    def show(self, value: float) -> str:
        return f"{value:.{self.digits}f}{self.unit}"

    def goal(self) -> str:
        return f"{'>=' if self.at_least else '<'} {self.limit:g}{self.unit}"

    def met_by(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value < self.limit

    def shortfall(self, value: float) -> str:
        side = "under" if self.at_least else "over"
        return f"{self.show(abs(value - self.limit))} {side} the {self.limit:g}{self.unit} target"


READ_RATIO = Bound(TARGETS["read_ratio"], at_least=True)
LIKE_FOR_LIKE_RATIO = Bound(TARGETS["like_for_like_ratio"], at_least=True)
LIKE_FOR_LIKE = "routing-same-dbs"  # bench.servers: routing on the peer's databases
QUIET = "same-dbs-no-headers"  # the same, with ROUTING_REPORT_HEADERS=none
DECISION_COST = Bound(TARGETS["decision_us"], at_least=False, unit=" µs", digits=2)
MIDDLEWARE_COST = Bound(TARGETS["middleware_us"], at_least=False, unit=" µs", digits=1)


def against(bound: Bound, target: str, value: float | None, judged: bool) -> Verdict:
    """One value against one bound; ``judged`` is False where the run is too short for it."""
    if value is None:
        return Verdict(target, "", bound.goal(), Status.NOT_JUDGED, NOT_MEASURED)
    # Judge the value as printed, so that every line's arithmetic adds up.
    shown = round(value, bound.digits)
    measured = bound.show(shown)
    if not judged:
        return Verdict(target, measured, bound.goal(), Status.NOT_JUDGED, TOO_SHORT)
    if bound.met_by(shown):
        return Verdict(target, measured, bound.goal(), Status.MET)
    return Verdict(target, measured, bound.goal(), Status.MISSED, bound.shortfall(shown))


def ratio_against(bound: Bound, target: str, rows: dict[str, dict], config: str, judged: bool) -> Verdict:
    """A configuration's throughput ratio against ``bound``.

    A configuration that completed no request in any round while the baseline
    did is missed, in any run: it stalled or hung, which no noise explains.
    """
    row, baseline = rows[config], rows.get("baseline", {})
    if row.get("per_second") is None and baseline.get("per_second") is not None:
        return Verdict(target, "", bound.goal(), Status.MISSED, NOTHING_COMPLETED)
    return against(bound, target, row["ratio"], judged)


def read_ratios(document: dict, judged: bool) -> Iterator[Verdict]:
    """Wall clock: routed throughput over the baseline's, per engine and read scenario."""
    for engine, summary in document["engines"].items():
        for scenario in sorted(READ_SCENARIOS):
            rows = summary.get(scenario, {})
            if "routing" in rows:
                yield ratio_against(READ_RATIO, f"{engine} {scenario}: routed/baseline", rows, "routing", judged)


def instruction_ratios(document: dict) -> Iterator[Verdict]:
    """Callgrind counts do not scatter: judged in any run that counted them."""
    for endpoint, by_config in document.get("instructions", {}).items():
        ratio = by_config["baseline"] / by_config["routing"]
        yield against(READ_RATIO, f"instructions, {endpoint}: baseline/routed", ratio, judged=True)


def like_for_like_ratios(document: dict, judged: bool) -> Iterator[Verdict]:
    """Wall clock, on the peer's databases: routing-same-dbs throughput over the baseline's."""
    for engine, summary in document["engines"].items():
        for scenario in sorted(READ_SCENARIOS):
            rows = summary.get(scenario, {})
            if LIKE_FOR_LIKE in rows:
                target = f"{engine} {scenario}: {LIKE_FOR_LIKE}/baseline"
                yield ratio_against(LIKE_FOR_LIKE_RATIO, target, rows, LIKE_FOR_LIKE, judged)


def overhead_pt(by_config: dict[str, int], config: str) -> float:
    """Instructions per request over the baseline's, in points (percent of the baseline)."""
    return 100 * (by_config[config] - by_config["baseline"]) / by_config["baseline"]


# What each like-for-like configuration may add over the baseline, beyond what multidb adds: points of the baseline.
OVERHEAD_MARGINS_PT = {LIKE_FOR_LIKE: TARGETS["overhead_margin_pt"], QUIET: 0.0}


def allowed_over_baseline(totals: dict[str, float], config: str) -> float | None:
    """What ``config``'s overhead target allows over the baseline, in the units of ``totals`` (per configuration).

    multidb's own overhead, plus the configuration's margin as a share of the
    baseline; None for a configuration without such a target, or without multidb.
    """
    margin = OVERHEAD_MARGINS_PT.get(config)
    if margin is None or "multidb" not in totals:
        return None
    return totals["multidb"] - totals["baseline"] + margin / 100 * totals["baseline"]


def instruction_overheads(document: dict) -> Iterator[Verdict]:
    """Callgrind, on the same layout: routing's overhead against django-multidb-router's."""
    margin = OVERHEAD_MARGINS_PT[LIKE_FOR_LIKE]
    for endpoint, by_config in document.get("instructions", {}).items():
        if not {"multidb", LIKE_FOR_LIKE, QUIET} <= by_config.keys():
            continue
        peer = overhead_pt(by_config, "multidb")
        every_feature = Bound(round(peer + margin, 2), at_least=False, unit=" pt", digits=2)
        yield against(
            every_feature,
            f"instructions, {endpoint}: {LIKE_FOR_LIKE} overhead (multidb {peer:.2f} pt + {margin:g})",
            overhead_pt(by_config, LIKE_FOR_LIKE),
            judged=True,
        )
        no_headers = Bound(round(peer + OVERHEAD_MARGINS_PT[QUIET], 2), at_least=False, unit=" pt", digits=2)
        yield against(
            no_headers,
            f"instructions, {endpoint}: {QUIET} overhead (multidb {peer:.2f} pt)",
            overhead_pt(by_config, QUIET),
            judged=True,
        )


def routing_decision(document: dict, judged: bool) -> Verdict:
    value = document.get("micro_us", {}).get(DECISION)
    return against(DECISION_COST, "routing decision", value, judged)


def middleware_work(document: dict, judged: bool) -> Verdict:
    value = document.get("micro_us", {}).get(MIDDLEWARE)
    return against(MIDDLEWARE_COST, "middleware work per request", value, judged)


def query_budget(document: dict) -> Verdict:
    """Deterministic: each endpoint's queries per alias are the same at every page size."""
    target, goal = "queries per request by page size", "equal at every page size"
    rows = document.get("query_budget", [])
    if not rows:
        return Verdict(target, "", goal, Status.NOT_JUDGED, NOT_MEASURED)
    unequal = [row for row in rows if len(set(row["queries"].values())) > 1]
    if not unequal:
        return Verdict(target, f"equal on {len(rows)} of {len(rows)} endpoint/alias pairs", goal, Status.MET)
    measured = f"unequal on {len(unequal)} of {len(rows)} endpoint/alias pairs"
    return Verdict(target, measured, goal, Status.MISSED, "; ".join(map(_counts_by_size, unequal)))


def _counts_by_size(row: dict) -> str:
    counts = ", ".join(f"{count} at page_size {size}" for size, count in row["queries"].items())
    return f"{row['endpoint']} on {row['alias']}: {counts}"


def judge(document: dict) -> list[Verdict]:
    """Every target's verdict. A document without ``quick`` is judged as a full run: never hide a miss."""
    timing_judged = not document.get("quick", False)
    return [
        *read_ratios(document, timing_judged),
        *like_for_like_ratios(document, timing_judged),
        *instruction_ratios(document),
        *instruction_overheads(document),
        routing_decision(document, timing_judged),
        middleware_work(document, timing_judged),
        query_budget(document),
    ]


def counts(verdicts: Iterable[Verdict]) -> dict[str, int]:
    tally = Counter(verdict.status for verdict in verdicts)
    return {str(status): tally[status] for status in Status}


def summary(verdicts: list[Verdict]) -> str:
    """One line: how many targets were met, missed and not judged, and why any were not."""
    tally = counts(verdicts)
    line = f"Targets: {tally['met']} met, {tally['missed']} missed, {tally['not judged']} not judged"
    if any(verdict.detail == TOO_SHORT for verdict in verdicts):
        line += f" (timing targets in a quick run: {TOO_SHORT})"
    return line + "."


def conclusion(verdicts: list[Verdict]) -> str:
    """The run's last words: the summary, then every miss with its margin."""
    misses = [f"  {verdict.line()}" for verdict in verdicts if verdict.status is Status.MISSED]
    return "\n".join([summary(verdicts), *misses])


def exit_status(verdicts: list[Verdict]) -> int:
    """1 if any target was missed. Unjudged timings never fail a quick run; a deterministic miss does."""
    return 1 if any(verdict.status is Status.MISSED for verdict in verdicts) else 0
