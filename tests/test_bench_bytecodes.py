"""The benchmark's bytecode attribution: each bytecode is charged to the part of routing that ran it.

bench/bytecodes.py counts with ``sys.settrace`` and charges library code to
the routing code that called it, except what routing only passes through or
what the request parses once anyway. These tests count real calls of
routing's own functions and check where the bytecodes went; the last one
renders the report's table from a document shaped like a run's.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from django.http import HttpResponse
from django.test import RequestFactory

from bench import bytecodes
from bench.report import bytecode_parts
from routing import middleware
from routing.middleware import _vary_on_routing
from routing.overrides import read_override
from routing.recorder import record_query
from routing.reporting import server_timing
from routing.state import QueryLog, Route, activate


def _count(call):
    call()  # first-call caches warm, as the benchmark's warm-up requests warm them
    parts, functions = bytecodes.count(call, requests=3)
    assert sum(parts.values()) == sum(functions.values())  # every bytecode is charged to one part
    return {part: value / 3 for part, value in parts.items()}, {key: value / 3 for key, value in functions.items()}


def test_routings_own_code_is_charged_to_its_part_and_the_callers_to_the_rest():
    parts, functions = _count(lambda: server_timing(None, 0.002))

    assert parts[bytecodes.REPORTING] == functions["routing.reporting:server_timing"] > 0
    assert (
        parts[bytecodes.REST]
        == functions[
            f"{__name__}:{test_routings_own_code_is_charged_to_its_part_and_the_callers_to_the_rest.__name__}.<locals>.<lambda>"
        ]
    )


def test_library_code_that_routing_calls_is_charged_to_routing():
    # A Vary the middleware has not seen before, every time: it is patched with Django's patch_vary_headers.
    values = itertools.count()

    def vary_a_new_response():
        response = HttpResponse()
        response.headers["Vary"] = f"X-Test-{next(values)}"
        _vary_on_routing(response)

    remembered = dict(middleware._patched_vary)
    try:
        parts, functions = _count(vary_a_new_response)
    finally:  # the memo is the process's: the other tests find it as it was
        middleware._patched_vary.clear()
        middleware._patched_vary.update(remembered)

    patched = functions["django.utils.cache:patch_vary_headers"]
    assert patched > 0
    assert parts[bytecodes.VARY] >= functions["routing.middleware:_vary_on_routing"] + patched


def test_what_the_recorder_passes_through_is_the_applications_and_the_recording_is_routings():
    def execute(sql, params, many, context):
        return sum(range(10))  # the query's own work, which runs with or without routing

    driver_connection = object()
    wrapper = SimpleNamespace(
        alias="replica1", connection=driver_connection, _routing_announced_connection=driver_connection
    )
    context = {"connection": wrapper, "cursor": None}

    def one_recorded_query():
        with activate(Route("replica1", "replica-pick", QueryLog(keeps_durations=True))):
            record_query(execute, "SELECT 1", (), False, context)

    parts, functions = _count(one_recorded_query)

    assert (
        functions[
            f"{__name__}:{test_what_the_recorder_passes_through_is_the_applications_and_the_recording_is_routings.__name__}.<locals>.execute"
        ]
        > 0
    )
    assert (
        parts[bytecodes.RECORDING]
        >= functions["routing.recorder:record_query"] + functions["routing.state:QueryLog.record"]
    )
    # execute's bytecodes went to the rest, with the test's own code, not to the recording.
    executed = sum(value for key, value in functions.items() if key.endswith(".execute"))
    assert parts[bytecodes.REST] >= executed


def test_the_query_string_is_parsed_for_the_rest_even_when_routing_reads_it_first():
    factory = RequestFactory()
    path = "/api/articles/?page_size=20&ordering=-id"

    def routing_reads_it_first():
        read_override(factory.get(path))

    def the_view_read_it_before():
        request = factory.get(path)
        request.GET  # noqa: B018 - parsed here, as a view would
        read_override(request)

    first, first_functions = _count(routing_reads_it_first)
    after, after_functions = _count(the_view_read_it_before)

    assert first_functions["django.core.handlers.wsgi:WSGIRequest.GET"] > 0
    # Parsed by routing's read or before it, the decision is charged the same: the parse is the rest's.
    assert first[bytecodes.DECISION] == after[bytecodes.DECISION]

    def rest_but_the_tests_own(parts, functions):
        return parts[bytecodes.REST] - sum(value for key, value in functions.items() if key.startswith(__name__))

    assert rest_but_the_tests_own(first, first_functions) == rest_but_the_tests_own(after, after_functions)


def _measured(parts: dict[str, float]) -> dict:
    return {"parts": parts, "functions": {}}


def test_the_report_shows_each_part_over_the_baseline_and_what_the_target_allows():
    document = {
        "bytecodes": {
            "detail": {
                "baseline": _measured({bytecodes.REST: 1000}),
                "multidb": _measured({bytecodes.MULTIDB: 60, bytecodes.REST: 1040}),
                "routing-same-dbs": _measured(
                    {bytecodes.RECORDING: 300, bytecodes.REPORTING: 100, bytecodes.REST: 1100}
                ),
                "same-dbs-no-headers": _measured({bytecodes.RECORDING: 300, bytecodes.REST: 1100}),
            }
        },
        "instructions": {
            "detail": {
                "baseline": 100_000,
                "multidb": 101_000,
                "routing-same-dbs": 105_000,
                "same-dbs-no-headers": 104_000,
            }
        },
    }

    lines = bytecode_parts(document)

    assert lines[0] == "| part | detail: multidb | detail: routing-same-dbs | detail: same-dbs-no-headers |"
    rows = {line.split(" | ")[0].removeprefix("| "): line.split(" | ")[1:] for line in lines[2:]}
    assert rows[bytecodes.RECORDING] == ["", "300", "300 |"]
    assert rows[bytecodes.REPORTING] == ["", "100", " |"]
    assert rows[bytecodes.MULTIDB] == ["60", "", " |"]
    assert rows[f"{bytecodes.REST}, over the baseline's"] == ["40", "100", "100 |"]
    assert rows["**all, over the baseline**"] == ["**100**", "**500**", "**400** |"]
    # The peer's 100 bytecodes, plus 0.5 % of the baseline's 1,000 like for like; the peer's alone without headers.
    assert rows["its instruction target, counted in bytecodes"] == ["", "105", "100 |"]
    # 1,000 instructions for multidb's 100 bytecodes; 5,000 for 500; 4,000 for 400.
    assert rows["callgrind instructions per bytecode, over the baseline"] == ["10", "10", "10 |"]


def test_a_quick_run_without_callgrind_shows_the_parts_alone():
    document = {
        "bytecodes": {
            "list": {
                "baseline": _measured({bytecodes.REST: 1000}),
                "routing-same-dbs": _measured({bytecodes.METRICS: 50, bytecodes.REST: 1000}),
            }
        }
    }

    lines = bytecode_parts(document)

    assert lines[0] == "| part | list: routing-same-dbs |"
    assert lines[-2] == "| **all, over the baseline** | **50** |"
    # No peer measured: no target to show; no callgrind: no rate row.
    assert lines[-1] == "| its instruction target, counted in bytecodes |  |"
