"""Prometheus metrics of every routing decision, and the view that serves them.

Optional: ``pip install 'django-per-request-routing[metrics]'`` (prometheus_client).
Counting is on whenever prometheus_client can be imported, unless
``ROUTING_METRICS = False``; add the view to your URLs to serve them::

    path("metrics", routing.metrics.metrics_view)

The view answers loopback clients only, unless ``ROUTING_METRICS_TOKEN`` is set:
then only requests with ``Authorization: Bearer <token>``. Anything else is a
403 in the JSON error shape ``{"detail": ..., "code": "metrics_forbidden"}``.

Under several worker processes (gunicorn), set ``PROMETHEUS_MULTIPROC_DIR`` to
an empty folder before the workers start (prometheus_client's multiprocess
mode): a scrape then returns the sum over all of them, so a counter never goes
backwards between two scrapes of one server. Clean that folder at each server
start; see :func:`clean_multiprocess_dir` and :func:`worker_exited`.

``routing_replica_in_pick`` and ``routing_replica_lag_seconds`` come from the
health cache as each probe records it: no extra round trip to a database.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import shutil
import threading
from bisect import bisect_left
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse

from routing import reasons
from routing.conf import routing_settings

__all__ = ["clean_multiprocess_dir", "metrics_view", "worker_exited"]

_QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_WAIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0)
CAUSAL_OUTCOMES = {
    reasons.CAUSAL_REPLICA: "replica",
    reasons.CAUSAL_PRIMARY: "primary",
    reasons.CAUSAL_INVALID: "invalid",
}


class _PerLabels(dict):
    """What ``make`` builds from a labelled metric's child, by label values, built once per child.

    prometheus_client's ``labels()`` validates the values and takes a lock on
    every call, and the middleware needs a child per alias on every request.
    A single label's key is the value itself; several labels' key is their tuple.
    """

    __slots__ = ("_make", "_metric")

    def __init__(self, metric, make) -> None:
        super().__init__()
        self._metric, self._make = metric, make

    def __missing__(self, key):
        labels = key if isinstance(key, tuple) else (key,)
        made = self[key] = self._make(self._metric.labels(*labels))
        return made


def _increment(child):
    """A counter child's ``inc(amount)`` without the validation of its arguments (see :func:`_adder`)."""
    return _adder(child, "_value", child.inc)


def _adder(metric, attribute: str, public):
    """The ``inc`` of the value ``metric`` keeps in ``attribute``, else ``public``.

    prometheus_client keeps a counter's value, and a histogram's sum and
    buckets, in value objects whose ``inc(amount)`` takes the lock and adds (in
    multiprocess mode it also writes the worker's file): everything the public
    methods do once their arguments are valid. Should a release keep them
    elsewhere, the public methods are used instead, unchanged in effect
    (tests/test_metrics.py compares the two).
    """
    value = getattr(metric, attribute, None)
    return getattr(value, "inc", None) or public


class _QueryHistogram:
    """One alias's query-duration histogram, fed a request's durations at once.

    What ``observe()`` does per duration (add it to the sum, count it in the
    first bucket whose bound it does not exceed), with the bucket found by
    ``bisect`` and the sum added once per request.
    """

    __slots__ = ("_add_to_sum", "_bounds", "_count_in_bucket", "_observe")

    def __init__(self, child) -> None:
        self._observe = child.observe
        buckets = getattr(child, "_buckets", None)
        bounds = getattr(child, "_upper_bounds", None)
        add_to_sum = _adder(child, "_sum", None)
        if add_to_sum is None or not buckets or bounds is None or len(buckets) != len(bounds):
            self._add_to_sum = None  # an unknown release: observe() each duration
            return
        self._add_to_sum = add_to_sum
        self._bounds = tuple(bounds)
        self._count_in_bucket = tuple(_increment(bucket) for bucket in buckets)

    def observe_all(self, durations: list[float], total: float) -> None:
        if self._add_to_sum is None:
            for seconds in durations:
                self._observe(seconds)
            return
        bounds, count_in_bucket = self._bounds, self._count_in_bucket
        for seconds in durations:
            count_in_bucket[bisect_left(bounds, seconds)](1)
        self._add_to_sum(total)


class _Metrics:
    """The metric objects, made once per process on first use."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter(
            "routing_requests_total",
            "Requests by the alias that served them and the route reason.",
            ["alias", "reason"],
        )
        self.queries = Counter("routing_queries_total", "Queries executed, by alias.", ["alias"])
        self.query_seconds = Histogram(
            "routing_query_duration_seconds", "Time per query, by alias.", ["alias"], buckets=_QUERY_BUCKETS
        )
        self.count_request = _PerLabels(self.requests, _increment)
        self.count_queries = _PerLabels(self.queries, _increment)
        self.query_histograms = _PerLabels(self.query_seconds, _QueryHistogram)
        self.causal_reads = Counter(
            "routing_causal_reads_total", "Reads that presented a causal token, by outcome.", ["outcome"]
        )
        self.causal_wait = Histogram(
            "routing_causal_wait_seconds", "Time spent finding a replica that has the write.", buckets=_WAIT_BUCKETS
        )
        self.refusals = Counter("routing_refusals_total", "Requests refused by routing, by error code.", ["code"])
        # Per process: each worker has its own health cache. Across workers, a
        # replica counts as in the pick only where every worker has it there,
        # and the lag is the largest any worker measured.
        self.in_pick = Gauge(
            "routing_replica_in_pick", "1 while the replica may serve reads.", ["alias"], multiprocess_mode="livemin"
        )
        self.lag = Gauge(
            "routing_replica_lag_seconds", "Replication lag as last measured.", ["alias"], multiprocess_mode="livemax"
        )


@cache
def _importable() -> bool:
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return False
    return True


_made: _Metrics | None = None
_making = threading.Lock()


def _metrics() -> _Metrics:
    # Made once per process under a lock: two threads of a gthread worker
    # creating them at once would register every metric twice (an error).
    global _made
    if _made is None:
        with _making:
            if _made is None:
                _made = _Metrics()
    return _made


def enabled() -> bool:
    chosen = routing_settings.metrics
    return _importable() if chosen is None else bool(chosen) and _importable()


# Recording -------------------------------------------------------------------------------------


def record_request(log, alias: str, reason: str) -> None:
    """A request the middleware served: its route, its queries and their durations, its causal outcome."""
    metrics = _made or _metrics()
    metrics.count_request[alias, reason](1)
    _record_queries(metrics, log)
    outcome = CAUSAL_OUTCOMES.get(reason)
    if outcome is not None:
        metrics.causal_reads.labels(outcome).inc()
        if log.causal_wait is not None:
            metrics.causal_wait.observe(log.causal_wait)


def record_queries(log) -> None:
    """The queries of a request's log (one that keeps durations), counted and timed once the request is done."""
    _record_queries(_made or _metrics(), log)


def _record_queries(metrics: _Metrics, log) -> None:
    for queried, stats in log.stats.items():
        metrics.count_queries[queried](stats.queries)
        metrics.query_histograms[queried].observe_all(stats.durations, stats.seconds)


def record_query(alias: str, seconds: float) -> None:
    """One query outside any request (under a code-level pin), counted and timed as it ran."""
    metrics = _made or _metrics()
    metrics.count_queries[alias](1)
    metrics.query_histograms[alias].observe_all((seconds,), seconds)


def record_refusal(code: str) -> None:
    _metrics().refusals.labels(code).inc()


def record_replica(alias: str, in_pick: bool, lag_seconds: float | None) -> None:
    metrics = _metrics()
    metrics.in_pick.labels(alias).set(1 if in_pick else 0)
    if lag_seconds is not None:
        metrics.lag.labels(alias).set(lag_seconds)


# Serving ---------------------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = routing_settings.metrics_token
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format: this process's metrics, or every worker's in multiprocess mode."""
    if not _allowed(request):
        detail = (
            "Send Authorization: Bearer <the metrics token>."
            if routing_settings.metrics_token
            else "The metrics are served to loopback clients only; set ROUTING_METRICS_TOKEN to scrape from elsewhere."
        )
        return JsonResponse({"detail": detail, "code": "metrics_forbidden"}, status=403)
    if not _importable():
        return JsonResponse(
            {"detail": "prometheus_client is not installed: pip install prometheus-client.", "code": "metrics_off"},
            status=503,
        )
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


# Multiprocess housekeeping (for a server's start-up and its process manager) ---------------------


def clean_multiprocess_dir(folder: str | os.PathLike | None = None) -> Path | None:
    """Empty the multiprocess folder (``PROMETHEUS_MULTIPROC_DIR``) before any worker starts.

    Files left by an earlier run would be summed into this run's counters.
    """
    folder = folder or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return None
    path = Path(folder)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: drop a dead worker's live gauges (its counters stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and _importable():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
