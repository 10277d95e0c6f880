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
    store = functions["routing.reporting:header_store"]
    assert patched > 0
    assert store > 0
    # Everything _vary_on_routing calls is the Vary patch's: Django's code, and routing's header store too.
    assert bytecodes.REPORTING not in parts
    assert set(parts) == {bytecodes.VARY, bytecodes.REST}
    assert parts[bytecodes.VARY] >= functions["routing.middleware:_vary_on_routing"] + patched + store


def test_what_the_recorder_passes_through_is_the_applications_and_the_recording_is_routings():
    driver_connection = object()
    wrapper = SimpleNamespace(
        alias="replica1", connection=driver_connection, _routing_announced_connection=driver_connection
    )
    context = {"connection": wrapper, "cursor": None}
    log = QueryLog(keeps_durations=True)

    def recorded(execute):
        def one_query():
            with activate(Route("replica1", "replica-pick", log)):
                record_query(execute, "SELECT 1", (), False, context)

        return _count(one_query)

    def short_query(sql, params, many, context):
        return 1

    def long_query(sql, params, many, context):
        total = 0
        for number in range(50):  # the query's own work, which runs with or without routing
            total += number
        return total

    short_parts, short_functions = recorded(short_query)
    long_parts, long_functions = recorded(long_query)

    def own(functions, name):
        return sum(value for key, value in functions.items() if key.endswith(f"<locals>.{name}"))

    extra = own(long_functions, "long_query") - own(short_functions, "short_query")
    assert extra > 100
    # The query's own work is the rest's, bytecode for bytecode; the recording does the same either way.
    assert long_parts[bytecodes.REST] - short_parts[bytecodes.REST] == extra
    assert long_parts[bytecodes.RECORDING] == short_parts[bytecodes.RECORDING]
    assert short_parts[bytecodes.RECORDING] >= (
        short_functions["routing.recorder:record_query"] + short_functions["routing.state:QueryLog.record"]
    )


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
                "multidb": 101_200,
                "routing-same-dbs": 105_500,
                "same-dbs-no-headers": 104_400,
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
    # 1,200 instructions for multidb's 100 bytecodes; 5,500 for 500; 4,400 for 400.
    assert rows["callgrind instructions per bytecode, over the baseline"] == ["12", "11", "11 |"]
    # multidb's 1,200 instructions plus 0.5 pt of 100,000 is 1,700: 155 bytecodes at 11 each; without headers, 109.
    assert rows["its instruction target, in bytecodes at that rate"] == ["", "155", "109 |"]
    # A part no column ran has no row.
    assert bytecodes.TOKEN_HAND_OUT not in rows
    assert bytecodes.DECISION not in rows


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
