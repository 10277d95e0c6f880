"""topology.mixed: one env file from the PostgreSQL and MariaDB topology.env files."""

import stat

from dotenv import dotenv_values

from project.databases import configured_databases, engines_in_use
from topology.mixed import main

POSTGRES_ENV = """\
# Written by `make pg-up`: the project's local PostgreSQL cluster (a primary, two hot standbys).
PRIMARY_DATABASE_URL=postgres://app:pgpw@127.0.0.1:5433/articles
REPLICA1_DATABASE_URL=postgres://app:pgpw@127.0.0.1:5434/articles
REPLICA2_DATABASE_URL=postgres://app:pgpw@127.0.0.1:5435/articles
AUTH_DATABASE_URL=postgres://app:pgpw@127.0.0.1:5433/articles_auth
AUTH_REPLICA1_DATABASE_URL=postgres://app:pgpw@127.0.0.1:5434/articles_auth
AUTH_REPLICA2_DATABASE_URL=postgres://app:pgpw@127.0.0.1:5435/articles_auth
PRIMARY_MULTIHOST_DATABASE_URL=postgres://app:pgpw@127.0.0.1%2C127.0.0.1/articles?port=5433%2C5434&target_session_attrs=read-write
AUTH_MULTIHOST_DATABASE_URL=postgres://app:pgpw@127.0.0.1%2C127.0.0.1/articles_auth?port=5433%2C5434&target_session_attrs=read-write
DEMO_USER=demo
DEMO_PASSWORD=demo
"""
MYSQL_ENV = """\
# Written by `make db-up`: the project's local MariaDB topology.
PRIMARY_DATABASE_URL=mysql://app:mypw@127.0.0.1:3307/articles
REPLICA1_DATABASE_URL=mysql://app:mypw@127.0.0.1:3308/articles
REPLICA2_DATABASE_URL=mysql://app:mypw@127.0.0.1:3309/articles
AUTH_DATABASE_URL=mysql://app:mypw@127.0.0.1:3307/articles_auth
AUTH_REPLICA1_DATABASE_URL=mysql://app:mypw@127.0.0.1:3308/articles_auth
AUTH_REPLICA2_DATABASE_URL=mysql://app:mypw@127.0.0.1:3309/articles_auth
DEMO_USER=demo
DEMO_PASSWORD=demo
"""


def write_topologies(tmp_path, postgres=POSTGRES_ENV, mysql=MYSQL_ENV):
    paths = {"postgres": tmp_path / "postgres" / "topology.env", "mysql": tmp_path / "mysql" / "topology.env"}
    for name, text in (("postgres", postgres), ("mysql", mysql)):
        if text is not None:
            paths[name].parent.mkdir(parents=True)
            paths[name].write_text(text)
    return paths


def run(paths, output):
    return main(["--postgres", str(paths["postgres"]), "--mysql", str(paths["mysql"]), "--output", str(output)])


def test_data_from_postgres_and_auth_from_mysql(tmp_path, capsys):
    paths = write_topologies(tmp_path)
    output = tmp_path / "out" / "mixed.env"
    assert run(paths, output) == 0
    assert str(output) in capsys.readouterr().out
    assert dotenv_values(output) == {
        "PRIMARY_DATABASE_URL": "postgres://app:pgpw@127.0.0.1:5433/articles",
        "REPLICA1_DATABASE_URL": "postgres://app:pgpw@127.0.0.1:5434/articles",
        "REPLICA2_DATABASE_URL": "postgres://app:pgpw@127.0.0.1:5435/articles",
        "AUTH_DATABASE_URL": "mysql://app:mypw@127.0.0.1:3307/articles_auth",
        "AUTH_REPLICA1_DATABASE_URL": "mysql://app:mypw@127.0.0.1:3308/articles_auth",
        "AUTH_REPLICA2_DATABASE_URL": "mysql://app:mypw@127.0.0.1:3309/articles_auth",
        "DEMO_USER": "demo",
        "DEMO_PASSWORD": "demo",
    }
    text = output.read_text()
    assert text.startswith("# Written by `make run-mixed`")
    # Holds passwords: the owner's alone.
    assert stat.S_IMODE(output.stat().st_mode) == 0o600


def test_the_combined_file_configures_both_engines(tmp_path):
    paths = write_topologies(tmp_path)
    output = tmp_path / "mixed.env"
    assert run(paths, output) == 0
    databases = configured_databases(dotenv_values(output), tmp_path / "data", tmp_path / "test")
    assert engines_in_use(databases) == {"postgresql", "mysql"}
    assert databases["replica2"]["ENGINE"] == "django.db.backends.postgresql"
    assert databases["auth_replica2"]["ENGINE"] == "django.db.backends.mysql"


def test_rewritten_on_each_run(tmp_path):
    paths = write_topologies(tmp_path)
    output = tmp_path / "mixed.env"
    assert run(paths, output) == 0
    # After `make pg-failover`, PRIMARY names another server.
    paths["postgres"].write_text(POSTGRES_ENV.replace("127.0.0.1:5433/articles\n", "127.0.0.1:5434/articles\n", 1))
    assert run(paths, output) == 0
    assert dotenv_values(output)["PRIMARY_DATABASE_URL"] == "postgres://app:pgpw@127.0.0.1:5434/articles"


def test_missing_postgres_topology(tmp_path, capsys):
    paths = write_topologies(tmp_path, postgres=None)
    output = tmp_path / "mixed.env"
    assert run(paths, output) == 1
    error = capsys.readouterr().err
    assert f"error: {paths['postgres']} does not exist: `make pg-up`" in error
    assert not output.exists()


def test_missing_mysql_topology(tmp_path, capsys):
    paths = write_topologies(tmp_path, mysql=None)
    output = tmp_path / "mixed.env"
    assert run(paths, output) == 1
    assert f"error: {paths['mysql']} does not exist: `make db-up`" in capsys.readouterr().err
    assert not output.exists()


def test_a_topology_without_its_main_url(tmp_path, capsys):
    mysql = "\n".join(line for line in MYSQL_ENV.splitlines() if not line.startswith("AUTH_DATABASE_URL="))
    paths = write_topologies(tmp_path, mysql=mysql)
    assert run(paths, tmp_path / "mixed.env") == 1
    assert f"{paths['mysql']} has no AUTH_DATABASE_URL: run `make db-up` again" in capsys.readouterr().err


def test_optional_replicas_and_demo_user_may_be_absent(tmp_path):
    postgres = "PRIMARY_DATABASE_URL=postgres://app:pgpw@127.0.0.1:5433/articles\n"
    mysql = "AUTH_DATABASE_URL=mysql://app:mypw@127.0.0.1:3307/articles_auth\n"
    paths = write_topologies(tmp_path, postgres=postgres, mysql=mysql)
    output = tmp_path / "mixed.env"
    assert run(paths, output) == 0
    assert set(dotenv_values(output)) == {"PRIMARY_DATABASE_URL", "AUTH_DATABASE_URL"}
