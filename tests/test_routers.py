"""The routers, and what really runs on which connection."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import InternalError, OperationalError, connections, router, transaction

from api.models import Article, Comment
from routing.routers import AuthRouter, PrimaryReplicaRouter
from routing.state import Route, activate
from tests.conftest import ALL_DATABASES, REPLICAS, make_user, routed_db
from tests.replication import wait_for_replicas

AUTH_MODELS = [User, Permission, ContentType, Session, LogEntry]
DATA_MODELS = [Article, Comment]


@pytest.mark.django_db(databases=ALL_DATABASES)  # with auth replicas, reads check auth_db can be reached
@pytest.mark.parametrize("model", AUTH_MODELS)
def test_auth_models_read_and_write_on_auth_db_whatever_the_route(model):
    with activate(Route("replica1", "header")):
        assert router.db_for_read(model) == "auth_db"
        assert router.db_for_write(model) == "auth_db"


@pytest.mark.parametrize("model", DATA_MODELS)
def test_auth_router_has_no_opinion_on_data_models(model):
    assert AuthRouter().db_for_read(model) is None
    assert AuthRouter().db_for_write(model) is None


@pytest.mark.parametrize("model", DATA_MODELS)
def test_reads_outside_a_request_go_to_primary(model):
    assert router.db_for_read(model) == "primary"


@pytest.mark.parametrize("alias", ["primary", *REPLICAS])
@pytest.mark.parametrize("model", DATA_MODELS)
def test_reads_follow_the_current_route(model, alias):
    with activate(Route(alias, "header")):
        assert router.db_for_read(model) == alias


@pytest.mark.parametrize("alias", [None, "primary", *REPLICAS])
@pytest.mark.parametrize("model", DATA_MODELS)
def test_writes_always_go_to_primary(model, alias):
    if alias is None:
        assert router.db_for_write(model) == "primary"
        return
    with activate(Route(alias, "header")):
        assert router.db_for_write(model) == "primary"


@pytest.mark.django_db(transaction=True, databases=ALL_DATABASES)
def test_reads_inside_a_primary_transaction_go_to_primary():
    route = Route("replica1", "replica-pick")
    with activate(route), transaction.atomic(using="primary"):
        assert router.db_for_read(Article) == "primary"
    assert route.log.reasons["primary"] == "atomic"
    with activate(route):
        assert router.db_for_read(Article) == "replica1"


def test_router_ignores_the_instance_hint():
    # An author loaded from auth_db must not drag the article's writes there.
    author = User(pk=1)
    author._state.db = "auth_db"
    with activate(Route("replica2", "replica-pick")):
        assert router.db_for_write(Article, instance=author) == "primary"
        assert router.db_for_read(Article, instance=author) == "replica2"


@pytest.mark.parametrize(
    ("alias", "app_label", "expected"),
    [
        ("primary", "api", True),
        ("primary", "auth", False),
        ("primary", "sessions", False),
        ("auth_db", "auth", True),
        ("auth_db", "contenttypes", True),
        ("auth_db", "sessions", True),
        ("auth_db", "admin", True),
        ("auth_db", "api", False),
        ("replica1", "api", False),
        ("replica2", "auth", False),
        ("default", "api", False),
        ("default", "auth", False),
    ],
)
def test_allow_migrate(alias, app_label, expected):
    assert router.allow_migrate(alias, app_label) is expected


@pytest.mark.parametrize(("db1", "db2"), [("primary", "auth_db"), ("replica1", "auth_db"), ("primary", "replica2")])
def test_relations_across_routed_aliases_are_allowed(db1, db2):
    article, author = Article(), User()
    article._state.db, author._state.db = db1, db2
    assert router.allow_relation(article, author) is True


def test_relations_to_unknown_aliases_get_no_opinion():
    article, other = Article(), Article()
    article._state.db, other._state.db = "primary", "elsewhere"
    assert PrimaryReplicaRouter().allow_relation(article, other) is None


@routed_db
@pytest.mark.parametrize("replica", REPLICAS)
def test_queries_run_on_the_routed_replica_only(replica, django_assert_num_queries):
    author = make_user("carol")
    Article.objects.create(title="Routed", author=author)
    wait_for_replicas()
    with (
        activate(Route(replica, "header")),
        django_assert_num_queries(1, using=replica),
        django_assert_num_queries(0, using="primary"),
    ):
        assert [article.title for article in Article.objects.all()] == ["Routed"]


@routed_db
def test_cross_database_author_is_fetched_from_auth_db(django_assert_num_queries):
    author = make_user("dave")
    Article.objects.create(title="By Dave", author=author)
    wait_for_replicas()
    with (
        activate(Route("replica1", "header")),
        django_assert_num_queries(1, using="replica1"),
        django_assert_num_queries(1, using="auth_db"),
    ):
        article = Article.objects.prefetch_related("author").get()
        assert article.author.username == "dave"


# SQLite: a read-only connection; MariaDB: error 1290 from a read_only server;
# PostgreSQL: a standby, SQLSTATE 25006 (psycopg raises it as an InternalError).
READ_ONLY_ERROR = "readonly database|read-only option|read-only transaction"
READ_ONLY_EXCEPTIONS = (OperationalError, InternalError)


@routed_db
@pytest.mark.parametrize("replica", REPLICAS)
def test_replica_connection_refuses_writes(replica):
    Article.objects.create(title="Original", author=make_user("erin"))
    wait_for_replicas()
    with pytest.raises(READ_ONLY_EXCEPTIONS, match=READ_ONLY_ERROR):
        Article.objects.using(replica).update(title="Changed")
    with pytest.raises(READ_ONLY_EXCEPTIONS, match=READ_ONLY_ERROR), connections[replica].cursor() as cursor:
        cursor.execute("DELETE FROM api_article")
    assert Article.objects.get().title == "Original"


@pytest.mark.django_db(databases=ALL_DATABASES)
def test_deleting_a_user_leaves_articles_and_never_queries_article_tables_on_auth_db(
    django_assert_num_queries, alice, article
):
    # No reverse relation, DO_NOTHING: the delete stays on auth_db, and the
    # article survives with an author that no longer resolves.
    with django_assert_num_queries(0, using="primary"):
        alice.delete()
    assert Article.objects.filter(pk=article.pk).exists()


def test_cached_connection_is_djangos_own_in_every_thread():
    from concurrent.futures import ThreadPoolExecutor

    from routing.routers import connection_for

    def both(alias):
        return connection_for(alias) is connections[alias], connection_for(alias) is connection_for(alias)

    assert both("primary") == (True, True)
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(both, ["primary", "replica1", "default", "auth_db"] * 4)) == {(True, True)}


def test_cached_connection_follows_a_settings_change(settings):
    from routing.routers import connection_for

    before = connection_for("primary")
    settings.ROUTING_COOLDOWN = 1  # any change: Django sends setting_changed
    assert connection_for("primary") is connections["primary"]
    assert before is connections["primary"]


class CommentsFromThePrimary:
    """A project's own router: comments are always read fresh, from the primary."""

    def db_for_read(self, model, **hints):
        return "primary" if model is Comment else None


OWN_ROUTER = f"{__name__}.CommentsFromThePrimary"


@routed_db  # with auth replicas, auth reads check auth_db can be reached; no transaction to follow
def test_a_projects_own_router_before_the_routing_ones_has_its_say(settings):
    from routing.checks import check_installation

    settings.DATABASE_ROUTERS = [OWN_ROUTER, *settings.DATABASE_ROUTERS]
    assert [warning.id for warning in check_installation()] == []
    with activate(Route("replica1", "replica-pick")):
        assert router.db_for_read(Comment) == "primary"  # its answer
        assert router.db_for_read(Article) == "replica1"  # the rest: routing's
        assert router.db_for_read(User) == "auth_db"


def test_a_router_after_the_catch_all_is_reported(settings):
    from routing.checks import check_installation

    settings.DATABASE_ROUTERS = [*settings.DATABASE_ROUTERS, OWN_ROUTER]
    [warning] = check_installation()
    assert warning.id == "routing.W006"
    assert OWN_ROUTER in warning.msg
    with activate(Route("replica1", "replica-pick")):
        assert router.db_for_read(Comment) == "replica1"  # never asked, as the warning says


# Without an auth database --------------------------------------------------------------------


@pytest.fixture
def no_auth_db(settings):
    """A project that never set ROUTING_AUTH_DB: the auth apps live with the data."""
    del settings.ROUTING_AUTH_DB
    del settings.ROUTING_AUTH_REPLICAS


@pytest.mark.usefixtures("no_auth_db")
@pytest.mark.parametrize("model", AUTH_MODELS)
def test_without_an_auth_database_auth_models_are_routed_like_the_rest(model):
    assert AuthRouter().db_for_read(model) is None
    assert router.db_for_write(model) == "primary"
    assert router.db_for_read(model) == "primary"  # outside a request
    with activate(Route("replica2", "replica-pick")):
        assert router.db_for_read(model) == "replica2"
        assert router.db_for_write(model) == "primary"
    assert router.allow_migrate("primary", model._meta.app_label)
    assert not router.allow_migrate("auth_db", model._meta.app_label)
    assert not router.allow_migrate("replica1", model._meta.app_label)


@pytest.mark.usefixtures("no_auth_db")
def test_without_an_auth_database_no_check_complains():
    from routing.checks import check_aliases, check_installation
    from routing.setting_checks import check_setting_values

    assert [message.id for message in (*check_aliases(), *check_installation(), *check_setting_values())] == []


def test_the_settings_read_per_query_follow_every_change(settings):
    """routing_settings.hot is one object per settings state: set, deleted and restored ones too."""
    from routing.conf import routing_settings

    settings.ROUTING_REPORT_HEADERS = "alias"
    assert routing_settings.hot.report_headers == "alias"
    del settings.ROUTING_REPORT_HEADERS  # no setting_changed: the swapped settings tell
    assert routing_settings.hot.report_headers == "all"
    settings.ROUTING_PRIMARY = "replica1"
    assert routing_settings.hot.primary == "replica1"
    assert "replica1" in routing_settings.hot.primary_databases
    assert "primary" not in routing_settings.hot.primary_databases
