"""Logging in with a driver module, imported by nothing of the project's.

mysqlclient's login test runs this in a process of its own: there ``MySQLdb``
must stay mysqlclient, which importing the project's settings would replace by
PyMySQL under MYSQL_DRIVER=pymysql.
"""

from __future__ import annotations


def log_in_as_configured(driver, config: dict, **options) -> str:
    """A new connection of ``driver`` over TCP, as a DATABASES entry says; the user it logged in as."""
    connection = driver.connect(
        host=config["HOST"],
        port=int(config["PORT"]),
        user=config["USER"],
        password=config["PASSWORD"],
        database=config["NAME"],
        **options,
    )
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT CURRENT_USER()")
        return cursor.fetchone()[0]
    finally:
        connection.close()
