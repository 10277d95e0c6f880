"""Prometheus metrics of the routing decisions, and who may read them.

In one process here (prometheus_client's default registry); the sum over
several gunicorn workers is proven in tests/live/test_metrics_workers.py.
"""

from __future__ import annotations

import logging
import time

import pytest
from prometheus_client import REGISTRY

from routing.health import registry
from routing.tokens import CausalToken
from tests.conftest import routed_db
from tests.replication import REPLICATED, wait_for_replicas

pytestmark = routed_db


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_request_is_counted_by_the_alias_and_reason_that_served_it(anon, article):
    before = {alias: value("routing_requests_total", alias=alias, reason="replica-pick") for alias in REPLICAS}
    response = anon.get("/api/articles/")
    alias = response.headers["X-DB-Alias"]
    assert response.headers["X-DB-Route-Reason"] == "replica-pick"
    assert value("routing_requests_total", alias=alias, reason="replica-pick") == before[alias] + 1


REPLICAS = ("replica1", "replica2")


def test_queries_are_counted_and_timed_per_alias(anon, article):
    queries_before = value("routing_queries_total", alias="replica1")
    timed_before = value("routing_query_duration_seconds_count", alias="replica1")
    response = anon.get("/api/articles/", HTTP_X_DB_ALIAS="replica1")
    ran = int(response.headers["Server-Timing"].split('replica1;desc="')[1].split(" ")[0])
    assert ran >= 1
    assert value("routing_queries_total", alias="replica1") == queries_before + ran
    assert value("routing_query_duration_seconds_count", alias="replica1") == timed_before + ran


def test_queries_under_a_pin_outside_any_request_are_counted_and_timed_as_they_run(article):
    from api.models import Article
    from routing import pin
    from routing.state import current_route

    # Outside a request nothing waits for replication: the pinned replica must
    # have the article before it is asked for it.
    wait_for_replicas(("replica1",))
    queries_before = value("routing_queries_total", alias="replica1")
    timed_before = value("routing_query_duration_seconds_count", alias="replica1")
    with pin("replica1"):
        for _ in range(3):
            assert Article.objects.filter(pk=article.pk).exists()
        # Counted at once, not kept for a request's end that never comes.
        assert value("routing_queries_total", alias="replica1") == queries_before + 3
        assert value("routing_query_duration_seconds_count", alias="replica1") == timed_before + 3
        assert current_route().log.stats["replica1"].durations == []


def test_refusals_are_counted_by_their_code(anon, settings):
    settings.ROUTING_ALLOW_OVERRIDE = "primary-only"
    before = value("routing_refusals_total", code="override_forbidden")
    assert anon.get("/api/articles/", HTTP_X_DB_ALIAS="replica1").status_code == 403
    assert value("routing_refusals_total", code="override_forbidden") == before + 1
    before = value("routing_refusals_total", code="invalid_db_alias")
    unknown = anon.get("/api/articles/?db=nowhere")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_db_alias")
    assert value("routing_refusals_total", code="invalid_db_alias") == before + 1


def test_a_forged_causal_token_counts_as_invalid(anon):
    before = value("routing_causal_reads_total", outcome="invalid")
    forged = CausalToken("causal", time.time(), "mariadb-gtid", "0-1-1").encode()[:-4] + "AAAA"
    response = anon.get("/api/articles/", HTTP_X_DB_CAUSAL_TOKEN=forged)
    assert response.headers["X-DB-Route-Reason"] == "causal-invalid"
    assert value("routing_causal_reads_total", outcome="invalid") == before + 1


def test_a_read_with_a_real_token_counts_its_outcome_and_wait(alice_client):
    written = alice_client.post("/api/articles/", {"title": "Counted"}, format="json")
    token = written.headers["X-DB-Causal-Token"]
    outcomes = ("replica", "primary")
    before = sum(value("routing_causal_reads_total", outcome=outcome) for outcome in outcomes)
    waits = value("routing_causal_wait_seconds_count")
    read = alice_client.get(f"/api/articles/{written.json()['id']}/", HTTP_X_DB_CAUSAL_TOKEN=token)
    outcome = {"causal-replica": "replica", "causal-primary": "primary"}[read.headers["X-DB-Route-Reason"]]
    assert sum(value("routing_causal_reads_total", outcome=outcome) for outcome in outcomes) == before + 1
    assert value("routing_causal_reads_total", outcome=outcome) >= 1
    assert value("routing_causal_wait_seconds_count") == waits + 1


def test_replica_health_is_a_gauge_from_the_health_cache(anon):
    registry.check_all()
    for alias in REPLICAS:
        assert value("routing_replica_in_pick", alias=alias) == 1.0
        if REPLICATED:  # SQLite replicas have no lag to report
            assert REGISTRY.get_sample_value("routing_replica_lag_seconds", {"alias": alias}) is not None


def test_a_replica_that_fails_during_a_request_leaves_the_gauge_at_once():
    registry.check_all()
    registry.mark_failed("replica1", OSError("connection refused"))
    # Not only at the next probe, a cooldown later.
    assert value("routing_replica_in_pick", alias="replica1") == 0.0
    assert value("routing_replica_in_pick", alias="replica2") == 1.0


def test_metrics_are_served_to_loopback_clients(anon):
    response = anon.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"routing_requests_total" in response.content


def test_metrics_are_refused_to_others_in_the_json_error_shape(anon):
    response = anon.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["code"] == "metrics_forbidden"
    assert "ROUTING_METRICS_TOKEN" in response.json()["detail"]


def test_with_a_token_only_its_bearer_may_scrape(anon, settings):
    settings.ROUTING_METRICS_TOKEN = "s3cret-token"
    assert anon.get("/metrics").status_code == 403  # loopback is not enough any more
    assert anon.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert anon.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 403
    allowed = anon.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token", REMOTE_ADDR="203.0.113.9")
    assert allowed.status_code == 200


def test_the_request_log_line(anon, article, settings, caplog):
    settings.ROUTING_LOG_REQUESTS = True
    with caplog.at_level(logging.INFO, logger="routing.requests"):
        response = anon.get("/api/articles/", HTTP_X_DB_ALIAS="primary")
    [line] = [record.getMessage() for record in caplog.records if record.name == "routing.requests"]
    fields = dict(part.split("=", 1) for part in line.split())
    assert fields["method"] == "GET"
    assert fields["path"] == "/api/articles/"
    assert fields["status"] == str(response.status_code)
    assert (fields["alias"], fields["reason"]) == ("primary", "header")
    assert fields["queries"].startswith("primary:")
    assert float(fields["duration_ms"]) > 0


def test_no_log_line_unless_asked(anon, caplog):
    with caplog.at_level(logging.INFO, logger="routing.requests"):
        anon.get("/api/articles/")
    assert [record for record in caplog.records if record.name == "routing.requests"] == []


# prometheus_client's values, fed directly -------------------------------------------------------

# On a bucket's bound, between bounds, under the first and over the last.
DURATIONS = [0.0001, 0.0005, 0.0007, 0.003, 0.2, 7.0]


class PublicOnly:
    """A metric child as a release that keeps its values elsewhere would look: its public methods alone."""

    def __init__(self, child) -> None:
        self.inc = getattr(child, "inc", None)
        self.observe = getattr(child, "observe", None)


def samples(metric) -> list[tuple[str, dict, float]]:
    (family,) = metric.collect()
    return [(sample.name, sample.labels, sample.value) for sample in family.samples if "_created" not in sample.name]


@pytest.mark.parametrize("wrap", [lambda child: child, PublicOnly], ids=["values", "public-methods"])
def test_a_requests_durations_land_in_the_buckets_observe_would_choose(wrap):
    from prometheus_client import CollectorRegistry, Histogram

    from routing.metrics import _QUERY_BUCKETS, _QueryHistogram

    registry = CollectorRegistry()
    fed = Histogram("query_seconds", "fed", ["alias"], buckets=_QUERY_BUCKETS, registry=registry)
    observed = Histogram("query_seconds", "observed", ["alias"], buckets=_QUERY_BUCKETS, registry=CollectorRegistry())
    _QueryHistogram(wrap(fed.labels("replica1"))).observe_all(DURATIONS, sum(DURATIONS))
    for seconds in DURATIONS:
        observed.labels("replica1").observe(seconds)
    counts = [sample for sample in samples(fed) if not sample[0].endswith("_sum")]
    assert counts == [sample for sample in samples(observed) if not sample[0].endswith("_sum")]
    assert ("query_seconds_count", {"alias": "replica1"}, len(DURATIONS)) in counts
    # The sum is added once per request, not once per duration: equal up to rounding.
    assert samples(fed)[-1][2] == pytest.approx(samples(observed)[-1][2])


@pytest.mark.parametrize("wrap", [lambda child: child, PublicOnly], ids=["values", "public-methods"])
def test_counter_increments_add_what_inc_adds(wrap):
    from prometheus_client import CollectorRegistry, Counter

    from routing.metrics import _increment, _PerLabels

    counter = Counter("requests", "fed", ["alias", "reason"], registry=CollectorRegistry())
    # PublicOnly: what a release without the value object would hand out, the public inc.
    increments = _PerLabels(counter, lambda child: _increment(wrap(child)))
    for _ in range(3):
        increments["replica1", "replica-pick"](1)
    increments["replica2", "replica-pick"](2)
    assert value_of(counter, alias="replica1", reason="replica-pick") == 3
    assert value_of(counter, alias="replica2", reason="replica-pick") == 2


def value_of(metric, **labels) -> float:
    return next(value for name, found, value in samples(metric) if name.endswith("_total") and found == labels)


def test_the_installed_prometheus_client_is_fed_through_its_values():
    """Should a release move them, the public methods take over (above): this says it happened."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    from routing.metrics import _adder, _QueryHistogram

    histogram = Histogram("seconds", "", ["alias"], registry=CollectorRegistry()).labels("replica1")
    assert _QueryHistogram(histogram)._add_to_sum is not None
    counter = Counter("queries", "", ["alias"], registry=CollectorRegistry()).labels("replica1")
    assert _adder(counter, "_value", None) is not None
