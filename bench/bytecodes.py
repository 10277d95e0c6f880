"""Python bytecode per request, charged to the part of routing that runs it: where routing's cost goes, exactly.

Callgrind counts a whole request's CPU instructions, but those move with the
heap's layout by more than a small part costs, so leaving one part out and
counting again cannot say what that part costs (bench.instructions). The
bytecode the interpreter executes does not move with layout: counted with
``sys.settrace``'s opcode events, a request of one configuration runs the same
number every time, and every one can be charged to the code that ran it.

Each bytecode goes to a part (``PARTS``):

- a frame of routing's modules or django-multidb-router's is charged to the
  part its module and function name (``MODULES``, ``FUNCTIONS``); routing's
  helpers (settings, state, connections, engines) go to the part that called
  them, and everything a part named for one function calls is that part's;
- a frame of any other code is charged to the part of the frame that called
  it: prometheus_client under the metrics, Django's ``patch_vary_headers``
  under routing's ``Vary``, a dataclass's ``__init__`` where it is made. The
  exceptions are code that routing only passes through (what the middleware's
  ``get_response`` and the recorder's ``execute`` run is the application's and
  Django's, as it is without routing) and the request's query string and
  cookies, which Django parses once, for whoever reads them first;
- everything else is ``REST``: Django, DRF, the view and the serializers.

Only Python bytecode is counted: C code (dict lookups, ``re``, the database
drivers, SQLite itself) is not, so these are not instructions. Over the
baseline, routing's bytecodes and its callgrind instructions go together (100
to 150 instructions per bytecode; the report shows each configuration's),
which is what lets the report say where the points go.

Two things the attribution does not follow: a generator's bytecodes go to
whoever resumes it, and a finalizer the garbage collector runs inside a
request goes to the frame it interrupted. Neither happens in routing's path.

``python -m bench.bytecodes PATH N`` serves PATH N times in process after the
same warm-up as bench.instructions, and prints
``{"parts": {part: per request}, "functions": {module:function: per request}}``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from bench.instructions import ENDPOINTS, HASH_SEEDS, warmed_up_client
from bench.servers import PROJECT

REQUESTS = 20
HASH_SEED = HASH_SEEDS[0]  # string hashes and the replica pick, the same in every count
# The configurations counted (bench.servers's names): the two ends, the peer, routing like for like
# with and without its headers, and routing with its own auth database.
CONFIGS = ("baseline", "multidb", "routing-same-dbs", "same-dbs-no-headers", "routing")

REST = "Django, DRF and the view"
MIDDLEWARE = "middleware: entering, leaving, the retry check"
DECISION = "route decision: override, causal token, replica pick and its connection check"
RECORDING = "query recording (which alias ran each query, for how long)"
ROUTERS = "routers (one call per query, with the transaction check)"
REPORTING = "reporting headers (X-DB-Alias, X-DB-Route-Reason, Server-Timing)"
METRICS = "metrics (prometheus_client counters and histogram)"
VARY = "Vary on the override and token headers"
TOKEN_HAND_OUT = "causal token hand-out after a write"
MULTIDB = "django-multidb-router: its middleware and router"
CALLED_BY_DJANGO = "routing helpers called from outside routing (signals, settings)"
PARTS = (
    MIDDLEWARE,
    DECISION,
    RECORDING,
    ROUTERS,
    REPORTING,
    METRICS,
    VARY,
    TOKEN_HAND_OUT,
    CALLED_BY_DJANGO,
    MULTIDB,
    REST,
)

# A module's frames go to its part unless FUNCTIONS names the function.
MODULES = {
    "routing.middleware": MIDDLEWARE,
    "routing.resolution": DECISION,
    "routing.overrides": DECISION,
    "routing.access": DECISION,
    "routing.policy": DECISION,
    "routing.health": DECISION,
    "routing.tokens": DECISION,
    "routing.recorder": RECORDING,
    "routing.routers": ROUTERS,
    "routing.reporting": REPORTING,
    "routing.metrics": METRICS,
}
FUNCTIONS = {
    ("routing.middleware", "_vary_on_routing"): VARY,
    ("routing.middleware", "_hand_out_token"): TOKEN_HAND_OUT,
    ("routing.tokens", "issue"): TOKEN_HAND_OUT,
}
# Parts named for one function: everything it calls, routing's own code too, is theirs (the Vary
# patch reads the header store of routing.reporting; the token hand-out encodes with routing.tokens).
WHOLE_CALLS = frozenset({VARY, TOKEN_HAND_OUT})
# What these call is the application's work routed through them, not theirs.
PASS_THROUGH = frozenset(
    {
        ("routing.middleware", "RoutingMiddleware.__call__"),
        ("routing.middleware", "RoutingMiddleware.__acall__"),
        ("routing.recorder", "record_query"),
    }
)
# Django's request attributes parsed on first use: whichever code reads one first parses it (routing
# reads the query string for ``?db=`` before the view does), and the request parses it once either way.
PARSED_ONCE = frozenset(
    {("django.core.handlers.wsgi", "WSGIRequest.GET"), ("django.core.handlers.wsgi", "WSGIRequest.COOKIES")}
)


def _name(frame) -> tuple[str, str]:
    code = frame.f_code
    return frame.f_globals.get("__name__", "?"), getattr(code, "co_qualname", code.co_name)


def _parses_once(frame, module: str, function: str) -> bool:
    """Whether ``frame`` parses one of PARSED_ONCE's attributes, or is the cached_property computing it."""
    if (module, function) in PARSED_ONCE:
        return True
    if (module, function) != ("django.utils.functional", "cached_property.__get__"):
        return False
    computed = getattr(frame.f_locals.get("self"), "func", None)
    return (getattr(computed, "__module__", ""), getattr(computed, "__qualname__", "")) in PARSED_ONCE


def _part(frame, module: str, function: str, owners: dict) -> str:
    caller = frame.f_back
    inherited = owners.get(caller, REST)
    if module.startswith("multidb"):
        return MULTIDB
    if module.startswith("routing."):
        if inherited in WHOLE_CALLS:
            return inherited  # the routing code it calls is part of it too
        own = FUNCTIONS.get((module, function)) or MODULES.get(module)
        if own is not None:
            return own
        # A helper (settings, state, connections, engines, ...): its caller's part.
        return inherited if inherited != REST else CALLED_BY_DJANGO
    if _parses_once(frame, module, function) or (caller is not None and _name(caller) in PASS_THROUGH):
        return REST
    return inherited


def count(serve_one, requests: int) -> tuple[Counter, Counter]:
    """Bytecodes per part and per function over ``requests`` calls of ``serve_one``."""
    parts: Counter = Counter()
    functions: Counter = Counter()
    owners: dict = {}

    def on_call(frame, event, arg):
        module, function = _name(frame)
        part = owners[frame] = _part(frame, module, function, owners)
        key = f"{module}:{function}"
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False

        def on_event(frame, event, arg):
            if event == "opcode":
                parts[part] += 1
                functions[key] += 1
            elif event == "return":
                owners.pop(frame, None)
            return on_event

        return on_event

    previous = sys.gettrace()  # a coverage tool's or a debugger's, put back after
    sys.settrace(on_call)
    try:
        for _ in range(requests):
            serve_one()
    finally:
        sys.settrace(previous)
    return parts, functions


def measure(environments: dict[str, dict[str, str]]) -> dict[str, dict[str, dict]]:
    """{endpoint: {configuration: {"parts": ..., "functions": ...}}}, bytecodes per request."""
    measured: dict[str, dict[str, dict]] = {}
    for endpoint, path in ENDPOINTS.items():
        measured[endpoint] = {}
        for config, environment in environments.items():
            result = subprocess.run(
                [sys.executable, "-m", "bench.bytecodes", path, str(REQUESTS)],
                # One hash seed: a loop over a set of strings runs as long under every count.
                env={**environment, "PYTHONHASHSEED": HASH_SEED},
                cwd=PROJECT,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                # The rest of the run is worth its report: this table is left out, with the reason.
                print(f"Bytecode count of {config} on {path} failed; the table is left out:\n{result.stderr}")
                return {}
            measured[endpoint][config] = json.loads(result.stdout)
    return measured


def serve(path: str, requests: int) -> dict:
    client = warmed_up_client(path, HASH_SEED)
    parts, functions = count(lambda: client.get(path), requests)
    return {
        "parts": {part: parts[part] / requests for part in PARTS if parts[part]},
        "functions": {key: value / requests for key, value in functions.most_common()},
    }


if __name__ == "__main__":
    print(json.dumps(serve(sys.argv[1], int(sys.argv[2]))))
