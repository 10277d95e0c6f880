"""The benchmark's verdicts: a quick run never calls a timing MISSED, a full run's miss fails it.

Pure unit tests: synthetic measurement documents shaped like the ones
``python -m bench`` builds, judged by the same functions it uses.
"""

from __future__ import annotations

import json

from bench.__main__ import finish
from bench.verdicts import NOT_MEASURED, TOO_SHORT, Status, Verdict, exit_status, judge, summary

GOOD = {"list_ratio": 1.002, "detail_ratio": 0.981, "decision_us": 1.4, "middleware_us": 15.3}
# The quick run: ratios far below the target, middleware above the README's 12-20 µs.
NOISY = {"list_ratio": 0.858, "detail_ratio": 0.913, "decision_us": 6.1, "middleware_us": 61.2}


def _row(ratio: float) -> dict:
    return {"per_second": 500.0 * ratio, "p50_ms": 14.0, "p99_ms": 30.0, "ratio": ratio, "errors": 0, "rounds": []}


def document(
    *,
    quick: bool,
    list_ratio: float,
    detail_ratio: float,
    decision_us: float,
    middleware_us: float,
    list_queries: tuple[int, int] = (2, 2),
) -> dict:
    """A document as bench/__main__.py builds it, before report.write adds the verdicts."""
    engine = {
        "list": {"baseline": _row(1.0), "routing": _row(list_ratio), "multidb": _row(0.99)},
        "detail": {"baseline": _row(1.0), "routing": _row(detail_ratio), "multidb": _row(0.99)},
        "create": {"baseline": _row(1.0), "routing": _row(0.5), "multidb": _row(1.0)},
        "write-then-read": {"baseline": _row(1.0), "routing": _row(0.5), "multidb": _row(1.0)},
    }
    return {
        "started": "2025-01-01 00:00:00",
        "command": "BENCH_QUICK=1 make bench" if quick else "make bench",
        "quick": quick,
        "cores": 2,
        "generator": "wrk",
        "connections": 8,
        "rounds": 2 if quick else 4,
        "seconds": 1.0 if quick else 3.0,
        "versions": {"Python": "3.11.7"},
        "engines": {"sqlite": engine},
        "micro_us": {
            "routing: router.db_for_read (both routers)": decision_us,
            "routing: PrimaryReplicaRouter.db_for_read": 0.4,
            "routing: middleware work per request": middleware_us,
        },
        "query_budget": [
            {
                "endpoint": "GET /api/articles/",
                "alias": "replica",
                "queries": {"10": list_queries[0], "100": list_queries[1]},
            },
            {"endpoint": "GET /api/articles/", "alias": "auth_db", "queries": {"10": 1, "100": 1}},
        ],
    }


def verdict_for(verdicts: list[Verdict], target: str) -> Verdict:
    (found,) = (verdict for verdict in verdicts if verdict.target == target)
    return found


def test_a_quick_run_with_bad_timings_is_too_short_to_judge_and_exits_0():
    verdicts = judge(document(quick=True, **NOISY))

    timing = [verdict for verdict in verdicts if verdict.target != "queries per request by page size"]
    assert [verdict.target for verdict in timing] == [
        "sqlite detail: routed/baseline",
        "sqlite list: routed/baseline",
        "routing decision",
        "middleware work per request",
    ]
    assert {verdict.status for verdict in timing} == {Status.NOT_JUDGED}
    assert {verdict.detail for verdict in timing} == {TOO_SHORT}
    # The measured value is still shown.
    list_line = verdict_for(verdicts, "sqlite list: routed/baseline").line()
    assert (
        list_line
        == "not judged: sqlite list: routed/baseline 0.858 (target >= 0.97), too short to judge; run `make bench`"
    )
    assert verdict_for(verdicts, "middleware work per request").measured == "61.2 µs"
    assert not any("MISSED" in verdict.line() for verdict in verdicts)
    assert verdict_for(verdicts, "queries per request by page size").status is Status.MET
    assert exit_status(verdicts) == 0
    assert summary(verdicts) == (
        "Targets: 1 met, 0 missed, 4 not judged (timing targets in a quick run: too short to judge; run `make bench`)."
    )


def test_a_quick_run_with_unequal_query_counts_is_missed_and_fails():
    verdicts = judge(document(quick=True, **GOOD, list_queries=(2, 12)))

    budget = verdict_for(verdicts, "queries per request by page size")
    assert budget.status is Status.MISSED
    assert budget.line() == (
        "MISSED: queries per request by page size unequal on 1 of 2 endpoint/alias pairs, "
        "GET /api/articles/ on replica: 2 at page_size 10, 12 at page_size 100"
    )
    assert exit_status(verdicts) == 1


def test_a_full_run_with_a_ratio_of_0_958_is_missed_by_0_012_and_fails():
    verdicts = judge(document(quick=False, **{**GOOD, "detail_ratio": 0.958}))

    detail = verdict_for(verdicts, "sqlite detail: routed/baseline")
    assert detail.status is Status.MISSED
    assert detail.detail == "0.012 under the 0.97 target"
    assert detail.line() == "MISSED: sqlite detail: routed/baseline 0.958, 0.012 under the 0.97 target"
    assert verdict_for(verdicts, "sqlite list: routed/baseline").status is Status.MET
    assert exit_status(verdicts) == 1
    assert summary(verdicts) == "Targets: 4 met, 1 missed, 0 not judged."


def test_a_full_run_over_the_middleware_budget_says_by_how_much():
    verdicts = judge(document(quick=False, **{**GOOD, "middleware_us": 61.2}))

    work = verdict_for(verdicts, "middleware work per request")
    assert work.line() == "MISSED: middleware work per request 61.2 µs, 11.2 µs over the 50 µs target"
    assert exit_status(verdicts) == 1


def test_a_full_run_meeting_every_target_exits_0():
    verdicts = judge(document(quick=False, **GOOD))

    assert {verdict.status for verdict in verdicts} == {Status.MET}
    assert len(verdicts) == 5
    assert exit_status(verdicts) == 0
    assert summary(verdicts) == "Targets: 5 met, 0 missed, 0 not judged."


def test_a_ratio_at_the_target_meets_it():
    verdicts = judge(document(quick=False, **{**GOOD, "list_ratio": 0.97}))

    assert verdict_for(verdicts, "sqlite list: routed/baseline").status is Status.MET


def test_a_cost_at_the_target_misses_it():
    # The target is "under 50 µs": 50.0 is not under it.
    verdicts = judge(document(quick=False, **{**GOOD, "middleware_us": 50.0}))

    work = verdict_for(verdicts, "middleware work per request")
    assert work.status is Status.MISSED
    assert work.detail == "0.0 µs over the 50 µs target"


def test_instruction_counts_are_deterministic_and_judged_with_their_margin():
    measured = document(quick=False, **GOOD)
    measured["instructions"] = {
        "list": {"baseline": 14_730_718, "routing": 15_078_553, "multidb": 14_850_465},
        "detail": {"baseline": 7_778_206, "routing": 8_080_646, "multidb": 7_867_363},
    }
    verdicts = judge(measured)

    assert verdict_for(verdicts, "instructions, list: baseline/routed").status is Status.MET
    detail = verdict_for(verdicts, "instructions, detail: baseline/routed")
    assert detail.line() == "MISSED: instructions, detail: baseline/routed 0.963, 0.007 under the 0.97 target"
    assert exit_status(verdicts) == 1


def test_a_document_without_a_mode_is_judged_as_a_full_run():
    measured = document(quick=True, **NOISY)
    del measured["quick"]

    assert exit_status(judge(measured)) == 1


def test_targets_not_measured_are_not_judged_and_say_so():
    measured = document(quick=False, **GOOD)
    del measured["micro_us"], measured["query_budget"]
    verdicts = judge(measured)

    decision = verdict_for(verdicts, "routing decision")
    assert decision.status is Status.NOT_JUDGED
    assert decision.line() == f"not judged: routing decision (target < 5 µs), {NOT_MEASURED}"
    assert verdict_for(verdicts, "queries per request by page size").detail == NOT_MEASURED
    assert summary(verdicts) == "Targets: 2 met, 0 missed, 3 not judged."


def test_bench_writes_the_report_then_fails_a_full_run_that_missed(tmp_path, capsys):
    status = finish(document(quick=False, **{**GOOD, "detail_ratio": 0.958}), tmp_path)

    assert status == 1
    written = json.loads((tmp_path / "latest.json").read_text())
    assert written["verdict_counts"] == {"met": 4, "missed": 1, "not judged": 0}
    missed = [verdict for verdict in written["verdicts"] if verdict["status"] == "missed"]
    assert [verdict["detail"] for verdict in missed] == ["0.012 under the 0.97 target"]
    assert "- MISSED: sqlite detail: routed/baseline 0.958, 0.012 under the 0.97 target" in (
        (tmp_path / "latest.md").read_text()
    )
    # The last lines printed: the count, then each miss with its margin.
    printed = capsys.readouterr().out.rstrip().splitlines()
    assert printed[-2:] == [
        "Targets: 4 met, 1 missed, 0 not judged.",
        "  MISSED: sqlite detail: routed/baseline 0.958, 0.012 under the 0.97 target",
    ]


def test_bench_passes_a_quick_run_whose_timings_are_too_short_to_judge(tmp_path, capsys):
    status = finish(document(quick=True, **NOISY), tmp_path)

    assert status == 0
    printed = capsys.readouterr().out
    assert "too short to judge; run `make bench`" in printed
    assert "MISSED" not in printed
    assert printed.rstrip().endswith(
        "not judged (timing targets in a quick run: too short to judge; run `make bench`)."
    )
