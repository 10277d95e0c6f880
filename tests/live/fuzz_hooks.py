"""Schemathesis hooks: what OpenAPI cannot say about this API.

Loaded by the fuzz test through SCHEMATHESIS_HOOKS.
"""

import json

import schemathesis
from schemathesis.core import NOT_SET
from schemathesis.core.jsonschema import make_validator
from schemathesis.core.parameters import ParameterLocation

OVERRIDE_HEADER = "X-DB-Alias"
OVERRIDE_PARAM = "db"


@schemathesis.hook
def map_case(context, case):
    """Send one routing override, not two that disagree.

    The header and the ``db`` parameter each accept the documented values, but
    together they must agree (else 400 ``conflicting_db_alias``, tested in
    tests/test_overrides.py). OpenAPI has no way to relate two parameters, so
    a generated case that names two different valid targets is made to name
    one. Cases with an invalid value are left alone: they must be refused.
    """
    allowed = _allowed_values(case.operation)
    header = (case.headers or {}).get(OVERRIDE_HEADER)
    param = (case.query or {}).get(OVERRIDE_PARAM)
    valid = isinstance(header, str) and isinstance(param, str) and header in allowed and param in allowed
    if valid and header != param:
        case.query[OVERRIDE_PARAM] = header
    return case


def _allowed_values(operation) -> set[str]:
    for parameter in operation.definition.raw.get("parameters", []):
        if parameter.get("name") == OVERRIDE_PARAM and parameter.get("in") == "query":
            return set(parameter.get("schema", {}).get("enum", []))
    return set()


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure but those that are not the API's.

    First, a request that Schemathesis calls invalid but whose body is valid
    after all: its negative flag is set when the case is generated, and a body
    mutated or shrunk back into a valid one keeps it (a known Schemathesis
    false positive, issue 4332). Such a body is re-validated against the
    schema here; only a body that really violates it must be refused.

    Then two kinds the schema cannot rule out.

    A comment names its article by id: any integer is schema-valid, but only
    the ids of existing articles are accepted ("object does not exist"). And
    text that is only whitespace, as Python counts it (which differs from a
    JSON Schema pattern's ``\\s``), is trimmed to blank and refused ("may not
    be blank"). Both are 400s naming the field, which is right.
    """
    if failure.code == "ST201" and _only_a_valid_body_was_called_invalid(case):
        return False
    if failure.code != "ST202" or response.status_code != 400:
        return True
    try:
        errors = json.loads(response.content).get("errors", {})
    except (ValueError, AttributeError):
        return True
    messages = [message for field in errors.values() for message in field]
    expected = ("object does not exist", "may not be blank")
    return not messages or not all(any(reason in message for reason in expected) for message in messages)


def _only_a_valid_body_was_called_invalid(case) -> bool:
    """Whether the body is the case's only negative part, and it satisfies the operation's schema."""
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.BODY) or case.body is NOT_SET:
        return False
    others = (ParameterLocation.PATH, ParameterLocation.QUERY, ParameterLocation.HEADER, ParameterLocation.COOKIE)
    if any(meta.is_negative_at(location) for location in others):
        return False
    body = case.operation.get_body_for_media_type(case.media_type)
    if body is None:
        return False
    validator = case.operation.schema.adapter.jsonschema_validator_cls
    return make_validator(body.optimized_schema, validator).is_valid(case.body)
