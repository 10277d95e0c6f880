"""A read whose connection the server cuts mid-request is run once more, elsewhere if need be.

The test client keeps connections open from one request to the next, so a
connection can be cut between two requests for real: the server ends the
backend (as it does when it shuts down), and the next query on it fails.
"""

from django.conf import settings
from prometheus_client import REGISTRY

from api.models import Article
from tests.conftest import queried_aliases, routed_db
from tests.replication import topology

pytestmark = routed_db


def queries_counted(alias: str) -> float:
    return REGISTRY.get_sample_value("routing_queries_total", {"alias": alias}) or 0.0


def cut_connections(alias: str) -> int:
    """End every application connection to ``alias``'s database on its server; how many were ended."""
    cluster = topology()
    config = settings.DATABASES[alias]
    server = next(name for name, port in cluster.ports.items() if str(port) == str(config["PORT"]))
    ended = cluster.admin_sql(
        server,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "  # noqa: S608 - the test's own settings
        f"WHERE usename = 'app' AND datname = '{config['NAME']}'",
    )
    return int(ended.strip())


def test_a_cut_auth_connection_is_retried_on_an_auth_replica(alice_client, article):
    assert alice_client.get("/api/articles/").status_code == 200  # opens auth_db for the Basic user
    assert cut_connections("auth_db") >= 1
    response = alice_client.get("/api/articles/")
    assert response.status_code == 200, response.content
    assert queried_aliases(response) & {"auth_replica1", "auth_replica2"}


def test_a_cut_replica_connection_is_retried_on_a_fresh_connection(anon, article):
    assert anon.get("/api/articles/", headers={"X-DB-Alias": "replica1"}).status_code == 200
    assert cut_connections("replica1") >= 1
    counted_before = queries_counted("replica1")
    response = anon.get("/api/articles/", headers={"X-DB-Alias": "replica1"})
    assert (response.status_code, response.headers["X-DB-Alias"]) == (200, "replica1")
    assert response.json()["count"] == 1
    # The metrics count the query that broke as well as the second run's (which Server-Timing reports).
    second_run = int(response.headers["Server-Timing"].split('replica1;desc="')[1].split(" ")[0])
    assert queries_counted("replica1") == counted_before + second_run + 1


def test_a_cut_connection_is_not_retried_for_a_write(alice_client):
    assert alice_client.post("/api/articles/", {"title": "One"}, format="json").status_code == 201
    assert cut_connections("primary") >= 1
    response = alice_client.post("/api/articles/", {"title": "Two"}, format="json")
    # The write's connection is checked before anything runs: a fresh one serves it,
    # or it is refused whole; it is never run twice.
    assert response.status_code in {201, 503}
    titles = list(Article.objects.using("primary").values_list("title", flat=True))
    assert titles.count("Two") == (1 if response.status_code == 201 else 0)
