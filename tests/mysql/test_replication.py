"""On real MySQL replication (MariaDB or Oracle MySQL): rows travel, lag is real, replicas refuse writes."""

import time

import pytest
from django.db import OperationalError, connections

from api.models import Article
from tests.conftest import REPLICAS, routed_db
from tests.mysql.conftest import DELAY_SECONDS
from tests.replication import on_mariadb, query_one, wait_for_replicas

pytestmark = routed_db


def test_a_row_written_through_the_api_reaches_both_replicas(alice_client):
    response = alice_client.post("/api/articles/", {"title": "Travels"}, format="json")
    assert response.headers["X-DB-Alias"] == "primary"
    article_id = response.json()["id"]
    wait_for_replicas()
    for replica in REPLICAS:
        # Each replica's own connection, on its own server.
        port = connections[replica].settings_dict["PORT"]
        assert port != connections["primary"].settings_dict["PORT"]
        assert Article.objects.using(replica).get(pk=article_id).title == "Travels"


@pytest.mark.replication_lag
def test_delayed_replica_misses_a_fresh_write_and_primary_override_sees_it(alice_client, anon, delayed_replica2):
    created = alice_client.post("/api/articles/", {"title": "Just written"}, format="json")
    path = f"/api/articles/{created.json()['id']}/"

    stale = anon.get(path, headers={"X-DB-Alias": "replica2"})
    assert stale.status_code == 404
    assert stale.headers["X-DB-Alias"] == "replica2"

    by_header = anon.get(path, headers={"X-DB-Alias": "primary"})
    assert (by_header.status_code, by_header.headers["X-DB-Alias"]) == (200, "primary")
    by_param = anon.get(f"{path}?db=primary")
    assert (by_param.status_code, by_param.json()["title"]) == (200, "Just written")

    # The delay is a delay, not a loss: the row arrives.
    wait_for_replicas(("replica2",), timeout=DELAY_SECONDS + 10)
    assert anon.get(path, headers={"X-DB-Alias": "replica2"}).status_code == 200


@pytest.mark.replication_lag
def test_delayed_replica_lists_fewer_rows_than_the_primary(alice_client, anon, delayed_replica2):
    alice_client.post("/api/articles/", {"title": "One"}, format="json")
    started = time.monotonic()
    from_replica = anon.get("/api/articles/?db=replica2").json()["count"]
    from_primary = anon.get("/api/articles/?db=primary").json()["count"]
    assert time.monotonic() - started < DELAY_SECONDS, "too slow to observe the lag"
    assert (from_replica, from_primary) == (0, 1)


@pytest.mark.parametrize("replica", REPLICAS)
def test_the_application_user_cannot_write_on_a_replica(replica, alice):
    wait_for_replicas()
    with pytest.raises(OperationalError) as refused:
        Article.objects.using(replica).create(title="Sneaky", author=alice)
    assert refused.value.args[0] == 1290
    assert "read-only" in refused.value.args[1]
    with pytest.raises(OperationalError) as refused, connections[replica].cursor() as cursor:
        cursor.execute("CREATE TABLE sneaky (id INT)")
    assert refused.value.args[0] == 1290


@pytest.mark.parametrize("replica", REPLICAS)
def test_replicas_are_read_only_and_the_user_has_no_privilege_to_bypass_it(replica):
    assert query_one(replica, "SELECT @@read_only")[0] == 1
    with connections[replica].cursor() as cursor:
        cursor.execute("SHOW GRANTS")
        grants = " ".join(row[0] for row in cursor.fetchall()).upper()
    assert "SUPER" not in grants
    assert "READ ONLY ADMIN" not in grants
    assert "CONNECTION_ADMIN" not in grants
    assert "ALL PRIVILEGES ON *.*" not in grants
    if not on_mariadb():
        # MySQL: read_only alone lets SUPER and CONNECTION_ADMIN write; super_read_only binds them too.
        assert query_one(replica, "SELECT @@super_read_only")[0] == 1


def test_nothing_ever_ran_on_a_replica_but_replication(alice_client):
    """Migrations, test setup, every test so far: no replica wrote a transaction of its own.

    A replica's binlog (log_slave_updates) holds the primary's GTIDs; a write
    made on the replica itself would appear under the replica's server id
    (MariaDB) or server uuid (MySQL).
    """
    alice_client.post("/api/articles/", {"title": "Once more"}, format="json")
    wait_for_replicas()
    if on_mariadb():
        primary_id = str(query_one("primary", "SELECT @@server_id")[0])
        read_position, origin = "SELECT @@gtid_binlog_pos", lambda gtid: gtid.split("-")[1]
    else:
        primary_id = query_one("primary", "SELECT @@server_uuid")[0]
        read_position, origin = "SELECT @@GLOBAL.gtid_executed", lambda gtid: gtid.split(":")[0]
    for replica in REPLICAS:
        position = query_one(replica, read_position)[0].replace("\n", "")
        origins = {origin(gtid) for gtid in position.split(",") if gtid}
        assert origins == {primary_id}, f"{replica} has local transactions: {position}"
        applied = query_one(replica, "SELECT COUNT(*) FROM django_migrations")[0]
        assert applied == query_one("primary", "SELECT COUNT(*) FROM django_migrations")[0]
