"""transaction.atomic() with or without `using`: the routers follow the transaction.

`default` is the primary's database under Django's name, so a transaction
opened without `using` must cover the ORM's writes and see its own rows.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections, router, transaction
from django.test import Client, RequestFactory

from api.models import Article
from routing.state import Route, activate
from tests.conftest import ALL_DATABASES, REPLICAS

pytestmark = pytest.mark.django_db(transaction=True, databases=[*ALL_DATABASES, "default"])


class Abort(Exception):
    pass


def write_then_fail(author, using):
    with transaction.atomic(using=using):
        Article.objects.create(title="Never committed", author=author)
        raise Abort


@pytest.mark.parametrize("using", [None, "primary"])
def test_a_rolled_back_transaction_leaves_no_row(alice, using):
    with pytest.raises(Abort):
        write_then_fail(alice, using)
    assert not Article.objects.exists()


@pytest.mark.parametrize(("using", "connection"), [(None, "default"), ("primary", "primary")])
def test_reads_and_writes_follow_the_open_transaction(alice, using, connection):
    with activate(Route("replica1", "replica-pick")), transaction.atomic(using=using):
        assert router.db_for_write(Article) == connection
        assert router.db_for_read(Article) == connection
        Article.objects.create(title="Uncommitted", author=alice)
        # A replica could not see this row yet; the transaction's connection does.
        assert Article.objects.count() == 1
    with activate(Route("replica1", "replica-pick")):
        assert router.db_for_read(Article) == "replica1"


def test_view_reading_in_a_transaction_without_using_reports_the_primary(settings, article):
    settings.ROOT_URLCONF = "tests.urls"
    response = Client().get("/api/test/atomic-default/")
    assert response.json() == {"count": 1}
    assert (response.headers["X-DB-Alias"], response.headers["X-DB-Route-Reason"]) == ("primary", "atomic")
    assert "default;" in response.headers["Server-Timing"]


# A threaded server's worker thread makes the wrappers it uses, and Django visits
# each one at every request's start and end. Routing's transaction check looks
# only at wrappers of the primary's database that exist: a wrapper can hold a
# transaction only once it has connected, and connecting announces it.


def in_a_thread_of_its_own(work):
    """``work()``'s result, run in a new thread, as a threaded server runs a request; its connections closed after."""

    def run():
        try:
            return work()
        finally:
            for connection in connections.all(initialized_only=True):
                connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def made_in_this_thread() -> set[str]:
    return {connection.alias for connection in connections.all(initialized_only=True)}


def test_a_read_makes_no_wrapper_of_the_primarys_database(article):
    path = f"/api/articles/{article.pk}/"

    def read():
        # As a WSGI server calls Django (the test client would first ask the
        # primary how far the replicas must catch up, on a replicated setup).
        response = WSGIHandler()(RequestFactory().get(path).environ, lambda status, headers: None)
        response.close()
        return response.status_code, response.headers["X-DB-Alias"], made_in_this_thread()

    # A process's first request fills caches that ask `default` about its
    # backend once (a model field's validators): not the thread's business.
    assert Client().get(path).status_code == 200
    status, alias, made = in_a_thread_of_its_own(read)
    assert (status, alias in REPLICAS) == (200, True)
    assert alias in made
    assert not made & {"primary", "default"}


@pytest.mark.parametrize(("using", "connection"), [(None, "default"), ("primary", "primary")])
def test_a_transaction_opened_after_the_requests_first_query_is_followed(alice, using, connection):
    def read_then_write_in_a_transaction():
        with activate(Route("replica1", "replica-pick")):
            assert not Article.objects.exists()  # the log's first query: no wrapper of the primary's yet
            assert not made_in_this_thread() & {"primary", "default"}
            with transaction.atomic(using=using):
                Article.objects.create(title="Uncommitted", author=alice)
                return router.db_for_read(Article), Article.objects.count()

    assert in_a_thread_of_its_own(read_then_write_in_a_transaction) == (connection, 1)
