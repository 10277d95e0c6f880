"""Replication positions as data: what a causal token may carry, and what covers what.

Waiting for a position is proven on real standbys (tests/postgresql/, tests/mysql/).
"""

import pytest

from routing.engines import positions_named
from routing.engines.postgresql.positions import lsn_value

WAL = positions_named("postgresql-lsn")


@pytest.mark.parametrize("position", ["0/3000148", "16/B374D848", "FFFFFFFF/FFFFFFFF", "a/b"])
def test_well_formed_lsns_are_valid(position):
    assert WAL.is_valid(position)


@pytest.mark.parametrize(
    "position", ["", "0/", "/1", "0-1-42", "0/3000148'; DROP TABLE api_article; --", "1/2/3", "G/0", "123456789/0"]
)
def test_anything_else_never_reaches_sql(position):
    assert not WAL.is_valid(position)


def test_lsns_compare_as_byte_positions_not_as_text():
    assert lsn_value("0/A") == 10
    assert lsn_value("1/0") == 2**32
    # As text "9/0" sorts after "10/0"; as positions it comes before.
    assert WAL.covers("10/0", "9/0")
    assert not WAL.covers("9/0", "10/0")
    assert WAL.covers("0/3000148", "0/3000148")


def test_an_unknown_applied_position_covers_nothing():
    assert not WAL.covers("", "0/1")
