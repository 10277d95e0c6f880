"""A management command that cannot open its SQLite database prints the doctor's diagnosis."""

from tests.command_diagnosis import assert_diagnosed, manage


def test_migrate_into_a_missing_folder(tmp_path):
    missing = tmp_path / "no-such-folder" / "primary.sqlite3"
    urls = {
        "PRIMARY_DATABASE_URL": f"sqlite:///{missing}",
        "AUTH_DATABASE_URL": f"sqlite:///{tmp_path / 'auth.sqlite3'}",
        "ENV_FILE": str(tmp_path / "no.env"),
    }
    result = manage("migrate", "--no-input", **urls)
    assert_diagnosed(result, "primary", "missing-folder", f"mkdir -p {missing.parent}", "PRIMARY_DATABASE_URL")
    # Only the alias that fails is reported: auth_db's file would simply be created.
    assert "\nauth_db (" not in result.stderr


def test_traceback_still_shows_the_driver_error(tmp_path):
    missing = tmp_path / "no-such-folder" / "primary.sqlite3"
    result = manage(
        "migrate",
        "--no-input",
        "--traceback",
        PRIMARY_DATABASE_URL=f"sqlite:///{missing}",
        AUTH_DATABASE_URL=f"sqlite:///{tmp_path / 'auth.sqlite3'}",
        ENV_FILE=str(tmp_path / "no.env"),
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "unable to open database file" in result.stderr
