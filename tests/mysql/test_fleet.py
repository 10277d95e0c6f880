"""Two gunicorn servers on the suite's replication topology and one Redis (see tests/fleet.py)."""

from tests.fleet import (  # noqa: F401 - collected here
    replicated_fleet,
    test_a_causal_token_from_one_server_is_honoured_by_the_other,
    test_a_replica_stopped_mid_run_leaves_the_pick_on_every_server,
    test_each_server_counts_exactly_its_own_requests,
    test_the_login_limit_holds_across_servers,
    test_the_write_throttle_holds_across_servers_and_workers,
)
