"""On real PostgreSQL streaming replication: rows travel, lag is real, standbys refuse writes."""

import time

import pytest
from django.db import DatabaseError, connections

from api.models import Article
from tests.conftest import REPLICAS, routed_db
from tests.postgresql.conftest import DELAY_SECONDS
from tests.replication import query_one, topology, wait_for_replicas
from topology.pg.errors import ClusterError

pytestmark = routed_db

READ_ONLY_SQLSTATE = "25006"  # read_only_sql_transaction


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of the driver's error behind Django's wrapper."""
    return getattr(error.__cause__, "sqlstate", None)


def test_a_row_written_through_the_api_reaches_both_standbys(alice_client):
    response = alice_client.post("/api/articles/", {"title": "Travels"}, format="json")
    assert response.status_code == 201
    assert response.headers["X-DB-Alias"] == "primary"
    article_id = response.json()["id"]
    wait_for_replicas()
    for replica in REPLICAS:
        # Each standby's own connection, on its own server, which is in recovery.
        port = connections[replica].settings_dict["PORT"]
        assert port != connections["primary"].settings_dict["PORT"]
        assert query_one(replica, "SELECT pg_is_in_recovery()")[0] is True
        assert Article.objects.using(replica).get(pk=article_id).title == "Travels"
        served = alice_client.get(f"/api/articles/{article_id}/", headers={"X-DB-Alias": replica})
        assert (served.status_code, served.headers["X-DB-Alias"]) == (200, replica)


@pytest.mark.replication_lag
def test_delayed_standby_misses_a_fresh_write_and_primary_override_sees_it(alice_client, anon, delayed_replica2):
    created = alice_client.post("/api/articles/", {"title": "Just written"}, format="json")
    assert created.status_code == 201
    path = f"/api/articles/{created.json()['id']}/"

    stale = anon.get(path, headers={"X-DB-Alias": "replica2"})
    assert stale.status_code == 404
    assert stale.headers["X-DB-Alias"] == "replica2"

    by_header = anon.get(path, headers={"X-DB-Alias": "primary"})
    assert (by_header.status_code, by_header.headers["X-DB-Alias"]) == (200, "primary")
    by_param = anon.get(f"{path}?db=primary")
    assert (by_param.status_code, by_param.json()["title"]) == (200, "Just written")

    # The undelayed standby has it within moments.
    wait_for_replicas(("replica1",))
    assert anon.get(path, headers={"X-DB-Alias": "replica1"}).status_code == 200

    # The delay is a delay, not a loss: the row arrives.
    wait_for_replicas(("replica2",), timeout=DELAY_SECONDS + 10)
    assert anon.get(path, headers={"X-DB-Alias": "replica2"}).status_code == 200


@pytest.mark.replication_lag
def test_delayed_standby_lists_fewer_rows_than_the_primary(alice_client, anon, delayed_replica2):
    alice_client.post("/api/articles/", {"title": "One"}, format="json")
    started = time.monotonic()
    from_replica = anon.get("/api/articles/?db=replica2").json()["count"]
    from_primary = anon.get("/api/articles/?db=primary").json()["count"]
    assert time.monotonic() - started < DELAY_SECONDS, "too slow to observe the lag"
    assert (from_replica, from_primary) == (0, 1)


@pytest.mark.parametrize("replica", REPLICAS)
def test_a_standby_refuses_a_write_with_sqlstate_25006(replica, alice):
    wait_for_replicas()
    with pytest.raises(DatabaseError) as refused:
        Article.objects.using(replica).create(title="Sneaky", author=alice)
    assert sqlstate(refused.value) == READ_ONLY_SQLSTATE
    assert "cannot execute INSERT in a read-only transaction" in str(refused.value)
    with pytest.raises(DatabaseError) as refused, connections[replica].cursor() as cursor:
        cursor.execute("CREATE TABLE sneaky (id int)")
    assert sqlstate(refused.value) == READ_ONLY_SQLSTATE
    assert not Article.objects.using("primary").filter(title="Sneaky").exists()


@pytest.mark.parametrize("replica", REPLICAS)
def test_a_standby_cannot_be_talked_into_writing(replica):
    """Read-only is the server's state (recovery), not a setting a session could turn off."""
    assert query_one(replica, "SELECT pg_is_in_recovery()")[0] is True
    assert query_one(replica, "SHOW transaction_read_only")[0] == "on"
    with connections[replica].cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = off")  # accepted, and changes nothing
        with pytest.raises(DatabaseError) as refused:
            cursor.execute("SET transaction_read_only = off")
    assert "cannot set transaction read-write mode during recovery" in str(refused.value)
    # Even the superuser is refused: a standby writes nothing but what it replays.
    with pytest.raises(ClusterError, match="cannot execute CREATE TABLE in a read-only transaction"):
        topology().admin_sql(replica, "CREATE TABLE sneaky (id int);", database="postgres")


def test_migrations_never_ran_on_a_standby(alice_client):
    """Migrations, test setup, every test so far: every standby is a byte copy of the primary.

    A standby has been in recovery since it was built (a promoted server would
    be on a new timeline), holds the primary's own django_migrations rows, and
    its log shows no migration statement that it refused.
    """
    alice_client.post("/api/articles/", {"title": "Once more"}, format="json")
    wait_for_replicas()
    cluster = topology()
    applied_sql = "SELECT count(*), max(id), max(applied)::text FROM django_migrations"
    on_primary = query_one("primary", applied_sql)
    assert on_primary[0] > 0
    primary_timeline = cluster.admin_sql("primary", "SELECT timeline_id FROM pg_control_checkpoint();").strip()
    for replica in REPLICAS:
        assert query_one(replica, "SELECT pg_is_in_recovery()")[0] is True
        assert query_one(replica, applied_sql) == on_primary
        timeline = cluster.admin_sql(replica, "SELECT timeline_id FROM pg_control_checkpoint();").strip()
        assert timeline == primary_timeline, f"{replica} left the primary's timeline"
        log = cluster.servers[replica].log_file.read_text(errors="replace")
        refused = [
            line
            for line in log.splitlines()
            if "STATEMENT:" in line and ("django_migrations" in line or 'CREATE TABLE "' in line)
        ]
        assert refused == [], f"{replica} was asked to migrate: {refused}"
