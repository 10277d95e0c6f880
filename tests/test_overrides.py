"""Reading X-DB-Alias and ?db= from a request, and refusing what is not allowed."""

import pytest
from django.test import RequestFactory

from routing.overrides import OverrideRejected, read_override

ALLOWED = ["primary", "replica", "replica1", "replica2"]


@pytest.fixture
def rf() -> RequestFactory:
    return RequestFactory()


def test_no_override(rf):
    assert read_override(rf.get("/api/articles/")) is None


@pytest.mark.parametrize("value", ALLOWED)
def test_header(rf, value):
    override = read_override(rf.get("/api/articles/", headers={"X-DB-Alias": value}))
    assert (override.value, override.source) == (value, "header")


@pytest.mark.parametrize("value", ALLOWED)
def test_query_param(rf, value):
    override = read_override(rf.get("/api/articles/", {"db": value}))
    assert (override.value, override.source) == (value, "query-param")


def test_header_and_param_that_agree(rf):
    override = read_override(rf.get("/api/articles/?db=primary", headers={"X-DB-Alias": "primary"}))
    assert override.value == "primary"


def test_surrounding_whitespace_is_ignored(rf):
    assert read_override(rf.get("/api/articles/", headers={"X-DB-Alias": " replica1 "})).value == "replica1"


def test_an_empty_db_parameter_counts_as_absent(rf):
    # As the schema says (allowEmptyValue): forms send empty fields.
    assert read_override(rf.get("/api/articles/", {"db": ""})) is None


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_header_is_refused(rf, value):
    # A header sent empty is a mistake (an unset template variable, say): say so.
    with pytest.raises(OverrideRejected) as refused:
        read_override(rf.get("/api/articles/", headers={"X-DB-Alias": value}))
    assert refused.value.code == "invalid_db_alias"
    assert "X-DB-Alias header ''" in refused.value.detail


def test_a_db_parameter_is_taken_exactly_as_sent(rf):
    with pytest.raises(OverrideRejected):
        read_override(rf.get("/api/articles/", {"db": " primary"}))


@pytest.mark.parametrize(
    "value", ["auth_db", "default", "replica3", "PRIMARY", "Replica1", "primary,replica1", "1; DROP TABLE api_article"]
)
@pytest.mark.parametrize("where", ["header", "param"])
def test_anything_else_is_refused_with_the_allowed_values(rf, value, where):
    kwargs = {"headers": {"X-DB-Alias": value}} if where == "header" else {"data": {"db": value}}
    with pytest.raises(OverrideRejected) as refused:
        read_override(rf.get("/api/articles/", **kwargs))
    body = refused.value.as_dict()
    assert body["code"] == "invalid_db_alias"
    assert body["allowed"] == ALLOWED
    assert repr(value) in body["detail"]


def test_header_and_param_that_disagree_are_refused(rf):
    with pytest.raises(OverrideRejected) as refused:
        read_override(rf.get("/api/articles/?db=replica1", headers={"X-DB-Alias": "primary"}))
    assert refused.value.code == "conflicting_db_alias"
    assert "'primary'" in refused.value.detail
    assert "'replica1'" in refused.value.detail


def test_repeated_param_with_different_values_is_refused(rf):
    with pytest.raises(OverrideRejected) as refused:
        read_override(rf.get("/api/articles/?db=replica1&db=replica2"))
    assert refused.value.code == "conflicting_db_alias"


def test_repeated_param_with_the_same_value_is_accepted(rf):
    assert read_override(rf.get("/api/articles/?db=replica2&db=replica2")).value == "replica2"


def test_allowed_values_follow_the_settings(rf, settings):
    settings.ROUTING_REPLICAS = ["replica2"]
    with pytest.raises(OverrideRejected) as refused:
        read_override(rf.get("/api/articles/", headers={"X-DB-Alias": "replica1"}))
    assert refused.value.as_dict()["allowed"] == ["primary", "replica", "replica2"]
