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
    return DriverChoice("PyMySQL", pymysql.VERSION_STRING, tuple(problems))


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
