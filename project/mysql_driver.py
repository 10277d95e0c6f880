"""Choosing the MySQL/MariaDB driver: mysqlclient, else PyMySQL.

Django's MySQL backend imports ``MySQLdb``. mysqlclient provides it but must be
compiled against the client library; PyMySQL is pure Python and can stand in
for it. ``MYSQL_DRIVER`` (``auto``, ``mysqlclient`` or ``pymysql``) forces one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

MYSQLCLIENT_HINT = (
    "pip install -r requirements-mysql.txt (mysqlclient; it compiles: apt-get install libmariadb-dev "
    "pkg-config gcc python3-dev, or on macOS brew install mariadb-connector-c pkg-config)"
)
PYMYSQL_HINT = "pip install -r requirements-pymysql.txt (PyMySQL: pure Python, no compiler needed)"


@dataclass(frozen=True)
class DriverChoice:
    name: str | None  # "mysqlclient", "PyMySQL", or None when neither imports
    version: str
    problems: tuple[str, ...]  # why the preferred drivers were not used

    def describe(self) -> str:
        if self.name is None:
            return "none"
        return f"{self.name} {self.version}"

    def missing_message(self) -> str:
        reasons = "; ".join(self.problems)
        return f"No MySQL driver could be imported ({reasons}). Install one: {MYSQLCLIENT_HINT}, or {PYMYSQL_HINT}."


def _mysqlclient() -> DriverChoice | str:
    try:
        import MySQLdb
    except ImportError as error:
        return f"mysqlclient: {error}"
    if getattr(MySQLdb, "__name__", "") == "pymysql":  # already swapped in
        return "mysqlclient: not installed"
    return DriverChoice("mysqlclient", ".".join(map(str, MySQLdb.version_info[:3])), ())


def _pymysql(problems: list[str]) -> DriverChoice | str:
    try:
        import pymysql
    except ImportError as error:
        return f"PyMySQL: {error}"
    pymysql.install_as_MySQLdb()
    if not getattr(pymysql.connect, "reports_login_failures", False):
        pymysql.connect = _login_failures_as_database_errors(pymysql.connect, pymysql.err.OperationalError)
    return DriverChoice("PyMySQL", pymysql.VERSION_STRING, tuple(problems))


# The client error number libmysqlclient uses for a login plugin it cannot run.
_AUTH_PLUGIN_CANNOT_LOAD = 2059


def _login_failures_as_database_errors(connect, operational_error):
    """PyMySQL's ``connect``, raising OperationalError where a login cannot be done.

    Without the cryptography package, PyMySQL raises RuntimeError for a full
    caching_sha2_password login without TLS (MySQL 8+'s default plugin, on the
    first login after a server restart). Django treats only the driver's
    database errors as database errors, so that would be a 500 with a
    traceback; as OperationalError it is a 503 that the doctor explains.
    """

    def connect_reporting_login_failures(*args, **kwargs):
        try:
            return connect(*args, **kwargs)
        except RuntimeError as error:
            if "cryptography" not in str(error):
                raise
            raise operational_error(_AUTH_PLUGIN_CANNOT_LOAD, str(error)) from error

    connect_reporting_login_failures.reports_login_failures = True
    return connect_reporting_login_failures


def select_driver(preference: str = "auto") -> DriverChoice:
    """Make ``import MySQLdb`` work with the best available driver, and say which."""
    preference = preference.strip().lower() or "auto"
    if preference not in {"auto", "mysqlclient", "pymysql"}:
        raise ImproperlyConfigured(f"MYSQL_DRIVER={preference!r}: use auto, mysqlclient or pymysql.")
    problems: list[str] = []
    if preference in {"auto", "mysqlclient"}:
        choice = _mysqlclient()
        if isinstance(choice, DriverChoice):
            return choice
        problems.append(choice)
    if preference in {"auto", "pymysql"}:
        sys.modules.pop("MySQLdb", None)
        choice = _pymysql(problems)
        if isinstance(choice, DriverChoice):
            return choice
        problems.append(choice)
    return DriverChoice(None, "", tuple(problems))
