"""Fixtures for the tests on a real PostgreSQL primary and its two streaming hot standbys."""

import pytest

from tests.replication import topology, wait_for_replicas

# How far replica2 trails the primary in the lag tests: long enough to observe.
DELAY_SECONDS = 2


@pytest.fixture
def delayed_replica2(transactional_db):
    """replica2 applies each commit DELAY_SECONDS late (recovery_min_apply_delay), for the test only.

    After the database fixture, so the previous test's clean-up has reached
    replica2 before the delay starts (and is torn down before the next flush).
    """
    wait_for_replicas()
    cluster = topology()
    cluster.set_delay("replica2", DELAY_SECONDS)
    try:
        yield cluster
    finally:
        cluster.set_delay("replica2", 0)
        # Commits held back by the delay are applied at once now.
        wait_for_replicas(timeout=DELAY_SECONDS + 10)
