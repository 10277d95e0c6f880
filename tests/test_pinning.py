"""routing.pinning.pin: the code-level override."""

import asyncio
import threading

import pytest
from django.db import router

from api.models import Article
from routing.pinning import pin
from routing.state import Route, activate, current_route
from tests.breakage import unreachable
from tests.conftest import REPLICAS, make_user, routed_db
from tests.replication import wait_for_replicas


def test_pin_routes_reads_and_restores_nothing_outside_a_request():
    assert current_route() is None
    with pin("replica2") as route:
        assert (route.alias, route.reason) == ("replica2", "pinned")
        assert router.db_for_read(Article) == "replica2"
        assert router.db_for_write(Article) == "primary"
    assert current_route() is None


def test_pins_nest_and_restore_the_outer_route():
    with pin("primary"):
        with pin("replica1"):
            assert router.db_for_read(Article) == "replica1"
            with pin("replica2"):
                assert router.db_for_read(Article) == "replica2"
            assert router.db_for_read(Article) == "replica1"
        assert router.db_for_read(Article) == "primary"


def test_pin_inside_a_request_shares_the_request_log():
    request_route = Route("replica1", "replica-pick")
    with activate(request_route), pin("primary") as pinned:
        assert pinned.log is request_route.log
    assert current_route() is None


def test_pin_restores_on_exception():
    with pytest.raises(ZeroDivisionError), pin("replica1"):
        1 / 0  # noqa: B018
    assert current_route() is None


@routed_db  # the pick is the request's own: healthy replicas only, so it checks them
def test_pin_replica_chooses_once_for_the_block():
    with pin("replica") as route:
        assert route.alias in REPLICAS
        assert {router.db_for_read(Article) for _ in range(50)} == {route.alias}


@routed_db
def test_pin_replica_leaves_out_a_replica_that_cannot_be_reached(tmp_path):
    with unreachable("replica1", tmp_path):
        picked = set()
        for _ in range(20):
            with pin("replica") as route:
                picked.add(route.alias)
    assert picked == {"replica2"}


@pytest.mark.parametrize("target", ["auth_db", "default", "replica9", ""])
def test_pin_refuses_unknown_targets(target):
    with pytest.raises(ValueError, match="not one of"):
        pin(target)


def test_pin_as_decorator():
    @pin("replica1")
    def read_alias():
        return router.db_for_read(Article)

    assert read_alias() == "replica1"
    assert current_route() is None


def test_pin_as_decorator_of_a_coroutine():
    @pin("replica2")
    async def read_alias():
        await asyncio.sleep(0)
        return router.db_for_read(Article)

    assert asyncio.run(read_alias()) == "replica2"


def test_one_decorator_serves_many_threads_at_once():
    barrier = threading.Barrier(8)
    seen = []

    @pin("replica1")
    def inside():
        barrier.wait()
        seen.append(current_route().alias)

    threads = [threading.Thread(target=inside) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["replica1"] * 8


@routed_db
def test_pinned_queries_really_run_there(django_assert_num_queries):
    Article.objects.create(title="Pinned", author=make_user("frank"))
    wait_for_replicas()
    with pin("replica2"), django_assert_num_queries(1, using="replica2"):
        assert Article.objects.count() == 1


def test_pin_replica_inside_a_request_keeps_the_requests_replica():
    with activate(Route("replica2", "replica-pick")), pin("replica") as route:
        assert route.alias == "replica2"


def test_one_shared_pin_serves_concurrent_tasks():
    shared = pin("replica1")

    async def use(delay: float):
        with shared:
            await asyncio.sleep(delay)
            return router.db_for_read(Article)

    async def both():
        return await asyncio.gather(use(0.02), use(0.01))

    assert asyncio.run(both()) == ["replica1", "replica1"]
    assert current_route() is None


def test_one_shared_pin_serves_many_threads():
    shared = pin("replica2")
    barrier = threading.Barrier(8)
    seen = []

    def inside():
        with shared:
            barrier.wait()
            seen.append(router.db_for_read(Article))
        seen.append(current_route())

    threads = [threading.Thread(target=inside) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen, key=str) == sorted(["replica2"] * 8 + [None] * 8, key=str)
