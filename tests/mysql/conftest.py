import pytest

from tests.replication import topology, wait_for_replicas

# How far replica2 trails the primary in the lag tests: long enough to observe.
DELAY_SECONDS = 2


@pytest.fixture
def delayed_replica2(transactional_db):
    # After the database fixture, so the previous test's clean-up has reached
    # replica2 before the delay starts (and is torn down before the next flush).
    wait_for_replicas()
    cluster = topology()
    cluster.set_delay("replica2", DELAY_SECONDS)
    try:
        yield
    finally:
        cluster.set_delay("replica2", 0)
        wait_for_replicas()
