"""transaction.atomic() with or without `using`: the routers follow the transaction.

`default` is the primary's database under Django's name, so a transaction
opened without `using` must cover the ORM's writes and see its own rows.
"""

import pytest
from django.db import router, transaction
from django.test import Client

from api.models import Article
from routing.state import Route, activate
from tests.conftest import ALL_DATABASES

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
