"""The benchmark's verdicts: a quick run never calls a timing MISSED, a full run's miss fails it.

Pure unit tests: synthetic measurement documents shaped like the ones
``python -m bench`` builds, judged and reported by the same functions it uses;
and which engines a run chooses, with the machine's servers stood in for.
"""

from __future__ import annotations

import json

import pytest

from bench.__main__ import command, finish
from bench.engines import DESCRIPTIONS, ENGINES, SelectionError, Unavailable, label, select
from bench.load import Result
from bench.report import ratio_table, summarize, write
from bench.servers import CONFIGS, served_on
from bench.verdicts import NOT_MEASURED, NOTHING_COMPLETED, TOO_SHORT, Status, Verdict, exit_status, judge, summary

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


# Engines: one column pair, one section and one verdict per engine that ran -----------------


def three_engines() -> dict:
    measured = document(quick=False, **GOOD)
    sqlite = measured["engines"]["sqlite"]
    mysql = {scenario: {**rows, "routing": _row(0.974)} for scenario, rows in sqlite.items()}
    postgresql = {
        scenario: {**rows, "routing": _row(0.981), "multidb": _row(0.962), "routing-pg-pool": _row(1.05)}
        for scenario, rows in sqlite.items()
    }
    measured["engines"] = {"sqlite": sqlite, "mysql": mysql, "postgresql": postgresql}
    return measured


def test_the_ratio_table_has_a_row_per_engine_and_scenario_and_a_column_per_configuration():
    lines = ratio_table(three_engines())

    assert lines[0] == "| engine | scenario | routing | routing-same-dbs | multidb | routing-conn0 | routing-pg-pool |"
    assert lines[1] == "|---|---|---:|---:|---:|---:|---:|"
    assert lines[2] == "| SQLite | list (20 articles, authors, comment counts) | 1.002 | - | 0.990 | - | - |"
    assert lines[3] == "| SQLite | article detail | 0.981 | - | 0.990 | - | - |"
    assert [line.split(" | ")[:2] for line in lines[2:]][4:] == [
        ["| MariaDB", "list (20 articles, authors, comment counts)"],
        ["| MariaDB", "article detail"],
        ["| MariaDB", "create (session-authenticated)"],
        ["| MariaDB", "write, then read it back"],
        ["| PostgreSQL", "list (20 articles, authors, comment counts)"],
        ["| PostgreSQL", "article detail"],
        ["| PostgreSQL", "create (session-authenticated)"],
        ["| PostgreSQL", "write, then read it back"],
    ]


def test_the_ratio_table_names_only_the_engines_that_ran():
    measured = three_engines()
    measured["engines"] = {"postgresql": measured["engines"]["postgresql"]}

    lines = ratio_table(measured)

    assert {line.split(" | ")[0] for line in lines[2:]} == {"| PostgreSQL"}
    assert lines[2] == "| PostgreSQL | list (20 articles, authors, comment counts) | 0.981 | - | 0.962 | - | 1.050 |"


def test_a_scenario_an_engine_did_not_measure_shows_a_dash():
    measured = three_engines()
    del measured["engines"]["mysql"]["create"]

    create = next(line for line in ratio_table(measured) if line.startswith("| MariaDB | create"))

    assert create == "| MariaDB | create (session-authenticated) | - | - | - | - | - |"


def test_a_configuration_of_one_engine_is_served_there_alone():
    assert "routing-pg-pool" not in [config.name for config in served_on("sqlite")]
    assert "routing-pg-pool" not in [config.name for config in served_on("mysql")]
    assert [config.name for config in served_on("postgresql")][-1] == "routing-pg-pool"
    # Nor counted under callgrind, which runs on SQLite.
    assert "routing-pg-pool" not in [config.name for config in CONFIGS if config.runs_on("sqlite")]


def test_a_configuration_of_one_engine_is_reported_on_its_rows_and_a_dash_elsewhere(tmp_path):
    measured = three_engines()
    rows = {line.split(" | ")[0] + " | " + line.split(" | ")[1]: line for line in ratio_table(measured)[2:]}

    assert rows["| PostgreSQL | article detail"].endswith(" | 1.050 |")
    assert rows["| SQLite | article detail"].endswith(" | - |")
    assert rows["| MariaDB | article detail"].endswith(" | - |")
    verdicts = judge(measured)  # no target names it, and none misses it
    assert not [verdict for verdict in verdicts if "pg-pool" in verdict.target]
    text = write(measured, verdicts, tmp_path)[0].read_text()
    assert "- `routing-pg-pool` (PostgreSQL only): routing as `routing`, with DB_POOL=true" in text
    assert "| list | routing-pg-pool | 525 | 14.00 | 30.00 | 1.050 | 0 |" in text


def test_routing_on_the_peers_databases_is_judged_against_the_like_for_like_ratio():
    measured = document(quick=False, **GOOD)
    for scenario, ratio in (("list", 0.985), ("detail", 0.975)):
        measured["engines"]["sqlite"][scenario]["routing-same-dbs"] = _row(ratio)

    lines = {verdict.target: verdict for verdict in judge(measured)}

    assert lines["sqlite list: routing-same-dbs/baseline"].status is Status.MET
    detail = lines["sqlite detail: routing-same-dbs/baseline"]
    assert (detail.status, detail.detail) == (Status.MISSED, "0.005 under the 0.98 target")


def test_instruction_overheads_are_judged_against_the_peers_own():
    measured = document(quick=False, **GOOD)
    # The peer costs 1.00 pt over the baseline; routing 1.40 pt with everything on, 1.10 pt without headers.
    measured["instructions"] = {
        "list": {
            "baseline": 100_000,
            "routing": 102_000,
            "multidb": 101_000,
            "routing-same-dbs": 101_400,
            "same-dbs-no-headers": 101_100,
        }
    }

    verdicts = [verdict for verdict in judge(measured) if "overhead" in verdict.target]

    assert [(verdict.target, verdict.measured, verdict.goal, verdict.status) for verdict in verdicts] == [
        ("instructions, list: routing-same-dbs overhead (multidb 1.00 pt + 0.5)", "1.40 pt", "< 1.5 pt", Status.MET),
        ("instructions, list: same-dbs-no-headers overhead (multidb 1.00 pt)", "1.10 pt", "< 1 pt", Status.MISSED),
    ]
    assert verdicts[1].detail == "0.10 pt over the 1 pt target"


def test_the_report_has_a_section_per_engine_labelled_by_name(tmp_path):
    measured = three_engines()
    markdown_path, _, _ = write(measured, judge(measured), tmp_path)
    text = markdown_path.read_text()

    assert "## Throughput relative to the baseline" in text
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[:4] == ["## Throughput relative to the baseline", "## SQLite", "## MariaDB", "## PostgreSQL"]
    assert "PostgreSQL: a private primary and two streaming hot standbys on this machine." in text
    assert "| list | routing | 490 | 14.00 | 30.00 | 0.981 | 0 |" in text


def test_every_engine_that_ran_is_judged_on_its_read_scenarios():
    measured = three_engines()
    measured["engines"]["postgresql"]["detail"]["routing"] = _row(0.958)

    verdicts = judge(measured)

    assert [verdict.target for verdict in verdicts if "routed/baseline" in verdict.target] == [
        "sqlite detail: routed/baseline",
        "sqlite list: routed/baseline",
        "mysql detail: routed/baseline",
        "mysql list: routed/baseline",
        "postgresql detail: routed/baseline",
        "postgresql list: routed/baseline",
    ]
    assert verdict_for(verdicts, "postgresql detail: routed/baseline").line() == (
        "MISSED: postgresql detail: routed/baseline 0.958, 0.012 under the 0.97 target"
    )
    assert verdict_for(verdicts, "postgresql list: routed/baseline").status is Status.MET
    assert exit_status(verdicts) == 1


def test_a_quick_postgresql_run_does_not_judge_its_ratios():
    measured = three_engines()
    measured["quick"] = True
    measured["engines"] = {"postgresql": measured["engines"]["postgresql"]}
    del measured["micro_us"], measured["query_budget"]  # measured on SQLite only

    verdicts = judge(measured)

    assert {verdict.status for verdict in verdicts} == {Status.NOT_JUDGED}
    assert verdict_for(verdicts, "postgresql list: routed/baseline").detail == TOO_SHORT
    assert verdict_for(verdicts, "queries per request by page size").detail == NOT_MEASURED
    assert exit_status(verdicts) == 0


# Which engines run ----------------------------------------------------------------------------------------------

FACTS = {"sqlite": {"SQLite": "3.40.1"}, "mysql": {"MariaDB": "10.11.19", "mysqlclient": "2.3.1"}}


def probe(engine: str) -> dict[str, str]:
    """SQLite and MariaDB are installed here; PostgreSQL is not."""
    if engine == "postgresql":
        raise Unavailable("No PostgreSQL server programs (initdb, pg_ctl, postgres) in PATH.")
    return FACTS[engine]


def test_a_full_run_takes_every_installed_engine_and_says_why_it_skips_the_others():
    selection = select("", quick=False, probe=probe)

    assert selection.engines == ["sqlite", "mysql"]
    assert selection.facts == {"SQLite": "3.40.1", "MariaDB": "10.11.19", "mysqlclient": "2.3.1"}
    assert selection.skipped == {"postgresql": "No PostgreSQL server programs (initdb, pg_ctl, postgres) in PATH."}


def test_a_quick_run_takes_sqlite_alone_without_looking_for_servers():
    looked_for = []

    selection = select("", quick=True, probe=lambda engine: looked_for.append(engine) or FACTS[engine])

    assert selection.engines == ["sqlite"]
    assert looked_for == ["sqlite"]


def test_bench_engines_chooses_in_its_order_once_each():
    every = {**FACTS, "postgresql": {"PostgreSQL": "15.20", "psycopg": "3.3.9"}}

    selection = select(" PostgreSQL, sqlite,postgresql ", quick=True, probe=every.__getitem__)

    assert selection.engines == ["postgresql", "sqlite"]
    assert selection.facts == {"PostgreSQL": "15.20", "psycopg": "3.3.9", "SQLite": "3.40.1"}


def test_bench_engines_naming_an_engine_that_cannot_run_is_an_error_not_a_skip():
    with pytest.raises(SelectionError, match="BENCH_ENGINES names postgresql, which cannot run here: No PostgreSQL"):
        select("sqlite,postgresql", quick=False, probe=probe)


def test_bench_engines_naming_an_unknown_engine_is_an_error():
    with pytest.raises(SelectionError, match=r"'postgres'; choose from sqlite, mysql, postgresql"):
        select("postgres", quick=False, probe=probe)


def test_every_engine_has_a_label_and_a_description():
    assert [label(engine) for engine in ENGINES] == ["SQLite", "MariaDB", "PostgreSQL"]
    assert set(DESCRIPTIONS) == set(ENGINES)


def test_the_report_names_the_engines_chosen_in_its_command():
    assert command(quick=True, requested_engines="postgresql") == "BENCH_QUICK=1 BENCH_ENGINES=postgresql make bench"
    assert command(quick=False, requested_engines=" ") == "make bench"


def _rounds(*per_second: float) -> list[Result]:
    """Rounds of 3 s at these rates; 0: a round in which nothing completed (no operations, no errors)."""
    return [Result(operations=int(rate * 3), seconds=3.0, p50_ms=20.0, p99_ms=40.0, errors=0) for rate in per_second]


def test_a_round_in_which_nothing_completed_is_left_out_of_the_median_and_named(tmp_path):
    summary = summarize(
        {
            # A stall of the database for a round and a half: the baseline lost two rounds, routing one.
            # Nothing completed, so wrk saw neither operations nor errors.
            "write-then-read": {"baseline": _rounds(100, 110, 0, 0), "routing": _rounds(90, 100, 0, 95)},
            "list": {"baseline": _rounds(0, 0), "routing": _rounds(200, 0)},
        }
    )

    baseline, routing = summary["write-then-read"]["baseline"], summary["write-then-read"]["routing"]
    assert baseline["per_second"] == 105.0  # the median of 100 and 110, not of 0, 0, 100 and 110
    assert baseline["empty_rounds"] == 2
    assert routing["per_second"] == 95.0
    assert routing["ratio"] == round(95 / 105, 3)
    # No baseline round completed: there is no ratio to judge.
    assert summary["list"]["baseline"]["per_second"] is None
    assert summary["list"]["routing"]["ratio"] is None

    document = {"started": "2026-01-01", "command": "make bench", "quick": False, "cores": 2, "generator": "wrk"}
    document |= {"connections": 8, "rounds": 4, "seconds": 3.0, "versions": {}, "engines": {"sqlite": summary}}
    markdown_path, _, _ = write(document, judge(document), tmp_path)
    text = markdown_path.read_text()
    assert (
        "| write-then-read | baseline | 105 | 20.00 | 40.00 | 1.000 | 0; 2 of 4 rounds completed nothing, left out |"
        in text
    )
    assert "| list | baseline | - | - | - | - | 0; 2 of 2 rounds completed nothing, left out |" in text
    assert "| list | routing | 200 | 20.00 | 40.00 | - | 0; 1 of 2 rounds completed nothing, left out |" in text
    list_verdict = verdict_for(judge(document), "sqlite list: routed/baseline")
    assert list_verdict.status is Status.NOT_JUDGED
    assert list_verdict.detail == NOT_MEASURED


def test_a_configuration_that_completed_nothing_while_the_baseline_did_is_missed_in_any_run(tmp_path):
    summary = summarize(
        {
            "list": {"baseline": _rounds(200, 210), "routing": _rounds(0, 0), "routing-same-dbs": _rounds(0, 0)},
            "detail": {
                "baseline": _rounds(300, 310),
                "routing": _rounds(290, 300),
                "routing-same-dbs": _rounds(290, 0),
            },
        }
    )
    document = {"started": "2026-01-01", "command": "BENCH_QUICK=1 make bench", "quick": True, "cores": 2}
    document |= {"generator": "wrk", "connections": 8, "rounds": 2, "seconds": 1.0, "versions": {}}
    document["engines"] = {"sqlite": summary}

    verdicts = judge(document)

    # A hang is not noise: missed even in a quick run, whose ratios are otherwise not judged.
    for target in ("sqlite list: routed/baseline", "sqlite list: routing-same-dbs/baseline"):
        verdict = verdict_for(verdicts, target)
        assert verdict.status is Status.MISSED
        assert verdict.line() == f"MISSED: {target}, {NOTHING_COMPLETED}"
    # One completed round is a measurement: judged as usual (too short in a quick run).
    assert verdict_for(verdicts, "sqlite detail: routing-same-dbs/baseline").status is Status.NOT_JUDGED
    assert exit_status(verdicts) == 1
