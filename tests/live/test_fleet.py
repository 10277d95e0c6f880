"""Two gunicorn servers on the embedded SQLite databases and one Redis (see tests/fleet.py)."""

import pytest

from tests.fleet import (  # noqa: F401 - collected here
    running_fleet,
    test_a_causal_token_from_one_server_is_honoured_by_the_other,
    test_each_server_counts_exactly_its_own_requests,
    test_the_login_limit_holds_across_servers,
    test_the_write_throttle_holds_across_servers_and_workers,
)

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with running_fleet(tmp_path_factory.mktemp("fleet")) as running:
        yield running
