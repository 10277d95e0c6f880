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


# MySQL GTID sets -----------------------------------------------------------------------------

GTID_SET = positions_named("mysql-gtid")
SOURCE_A = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
SOURCE_B = "6f3bd1a0-ee15-11f1-adfa-02fc00000001"


@pytest.mark.parametrize(
    "position",
    [
        f"{SOURCE_A}:1-5",
        f"{SOURCE_A}:1-5:7:9-12",
        f"{SOURCE_A}:1-5,{SOURCE_B}:1",
        f"{SOURCE_A}:1-5,\n{SOURCE_B}:1",  # as gtid_executed prints several sources
        f"{SOURCE_A}:1-5:nightly:1-3",  # MySQL 8.3+ tagged GTIDs
        SOURCE_A.upper() + ":1",
    ],
)
def test_well_formed_gtid_sets_are_valid(position):
    assert GTID_SET.is_valid(position.replace("\n", ""))


@pytest.mark.parametrize(
    "position",
    ["", f"{SOURCE_A}", f"{SOURCE_A}:", "0-1-42", f"{SOURCE_A}:1'; DROP TABLE api_article; --", "not-a-uuid:1"],
)
def test_malformed_gtid_sets_never_reach_sql(position):
    assert not GTID_SET.is_valid(position)


def test_a_gtid_set_covers_what_its_intervals_hold():
    applied = f"{SOURCE_A}:1-14,\n{SOURCE_B}:1-3:5:nightly:1-2"
    assert GTID_SET.covers(applied, f"{SOURCE_A}:1-14")
    assert GTID_SET.covers(applied, f"{SOURCE_A}:9")
    assert GTID_SET.covers(applied, f"{SOURCE_A}:1-14,{SOURCE_B}:5")
    assert GTID_SET.covers(applied, f"{SOURCE_B}:nightly:2")
    assert not GTID_SET.covers(applied, f"{SOURCE_A}:1-15")
    assert not GTID_SET.covers(applied, f"{SOURCE_B}:4")  # the gap between 3 and 5
    assert not GTID_SET.covers(applied, f"{SOURCE_B}:nightly:3")
    assert not GTID_SET.covers(applied, f"{SOURCE_B}:6")
    assert not GTID_SET.covers(applied, "9a9a9a9a-0000-0000-0000-000000000000:1")
    # Case does not matter: servers print lower case, users may paste upper.
    assert GTID_SET.covers(applied, SOURCE_A.upper() + ":3")


def test_an_unknown_gtid_set_covers_nothing():
    assert not GTID_SET.covers("", f"{SOURCE_A}:1")
