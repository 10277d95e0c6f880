"""MySQL and MariaDB connection errors, explained: the failures that cost people hours.

2003 (nothing listening), 2002 (socket instead of TCP), 1045/1698 (access
denied; root with auth_socket), 1044 (no rights on the database), 1049
(unknown database), and a driver that cannot speak caching_sha2_password. A
table, read top to bottom: the first row that applies explains the error.

Some advice depends on the server: MySQL 8.4 disabled and 9.0 removed
mysql_native_password, the plugin the classic "root uses auth_socket" answer
switches to. :func:`server_advice` fills those fields from the server's own
greeting (see greeting.py), which it sends before any login.
"""

from __future__ import annotations

from routing.diagnosis import Target
from routing.engines.base import ConnectError, Explanation, code_is, message_has
from routing.engines.mysql.greeting import ServerKind


def _through_socket(error: ConnectError, target: Target) -> bool:
    # libmariadb reports a refused TCP connection as 2002 too, and PyMySQL a
    # missing socket file as 2003 (errno 2): the message or the alias's own
    # socket option tells a socket from TCP, not the code.
    return "socket" in error.message.lower() or target.socket != ""


def _nothing_listening(error: ConnectError, target: Target) -> bool:
    return error.code in {"2002", "2003"} and not _through_socket(error, target)


def _socket_failed(error: ConnectError, target: Target) -> bool:
    return error.code in {"2002", "2003"} and _through_socket(error, target)


def _os_login(error: ConnectError, target: Target) -> bool:
    return error.code == "1698" or (error.code == "1045" and target.user == "root")


# The messages a client without caching_sha2_password support fails with:
# libmariadb (mysqlclient) when its plugin file is missing, libmysqlclient, and
# PyMySQL without the cryptography package on a connection without TLS.
_SHA2_PLUGIN_MISSING = message_has(
    "Plugin caching_sha2_password could not be loaded", "Authentication plugin 'caching_sha2_password' cannot"
)
_PYMYSQL_NEEDS_CRYPTOGRAPHY = message_has("'cryptography' package is required")


def server_advice(kind: ServerKind) -> dict[str, str]:
    """The explanation fields that differ between MariaDB and MySQL, for the server that answered."""
    if kind.name == "MySQL" and kind.version >= (8,):
        return {
            "server": kind.label,
            "os_plugin": "auth_socket",
            "client": "mysql",
            "admin_client": "sudo mysql",
            "identified": "IDENTIFIED WITH caching_sha2_password BY 'a-long-password'",
            "plugin_note": (
                f"\n({kind.label}: caching_sha2_password is the plugin to use. mysql_native_password, "
                "which older guides switch root to, is disabled in MySQL 8.4 and removed in 9.0.)"
            ),
        }
    if kind.name == "MariaDB":
        return {
            "server": kind.label,
            "os_plugin": "unix_socket",
            "client": "mariadb",
            "admin_client": "sudo mariadb",
            "identified": "IDENTIFIED BY 'a-long-password'",
            "plugin_note": (
                "\n(To give root a password as well, keeping the socket login: ALTER USER 'root'@'localhost' "
                "IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('a-long-password');)"
            ),
        }
    return {
        "server": kind.label,
        "os_plugin": "auth_socket/unix_socket",
        "client": "mysql",
        "admin_client": "sudo mysql",
        "identified": "IDENTIFIED BY 'a-long-password'",
        "plugin_note": (
            "\n(On MySQL 8.4 and later write IDENTIFIED WITH caching_sha2_password BY ...: "
            "mysql_native_password is disabled there and removed in 9.0.)"
        ),
    }


EXPLANATIONS = [
    Explanation(
        _SHA2_PLUGIN_MISSING,
        "{code}",
        "The MySQL client library cannot load caching_sha2_password, the login plugin of '{user}' on {where}: "
        "{message}",
        "mysqlclient's client library (libmariadb) keeps this plugin in a file of its own. Debian/Ubuntu: "
        "sudo apt-get install --reinstall libmariadb3 (it ships /usr/lib/<arch>/libmariadb3/plugin/"
        "caching_sha2_password.so); unset MARIADB_PLUGIN_DIR if it points elsewhere. "
        "Or use PyMySQL: MYSQL_DRIVER=pymysql.",
    ),
    Explanation(
        _PYMYSQL_NEEDS_CRYPTOGRAPHY,
        "{code}",
        "PyMySQL cannot log '{user}' in to {where} with caching_sha2_password: {message}",
        "Without TLS, the full caching_sha2_password login (the first one after the server starts, before it "
        "caches the account) sends the password RSA-encrypted, which PyMySQL does with the cryptography "
        "package. Install it: pip install -r requirements-pymysql.txt (or pip install 'PyMySQL[rsa]'); "
        "or turn TLS on for the connection.",
    ),
    Explanation(
        _nothing_listening,
        "{code}",
        "Nothing is listening on {where}: {message}",
        "Start the database server{start_hint}, or correct the host and port in {url_variable}. "
        "Check with: mariadb-admin --host={host} --port={port} ping (mysqladmin on Oracle MySQL)",
    ),
    Explanation(
        _socket_failed,
        "{code}",
        "Could not connect through the Unix socket {socket_or_default}: {message}",
        "With host 'localhost' the client uses a socket file, not TCP. Use 127.0.0.1 as the host in "
        "{url_variable} to connect over TCP, or give the server's socket path "
        "(?unix_socket=/run/mysqld/mysqld.sock in the URL).",
    ),
    Explanation(
        _os_login,
        "{code}",
        "Access denied for '{user}': {message}",
        "On {server}, this account logs in through the operating system ({os_plugin}) or only over the local "
        "socket, not with a password over TCP, "
        "so an application cannot use it. Create a password account for the app instead:\n"
        "  {admin_client} -e \"CREATE USER 'app'@'%' {identified}; "
        "GRANT ALL PRIVILEGES ON \\`{database}\\`.* TO 'app'@'%';\"\n"
        "then put app:a-long-password in {url_variable}.{plugin_note}",
    ),
    Explanation(
        code_is("1045"),
        "1045",
        "Access denied for '{user}': {message}",
        "The user or password in {url_variable} is wrong, or the account does not exist for host "
        "'{host}'. Check it: {client} --host={host} --port={port} --user={user} -p",
    ),
    Explanation(
        code_is("1049"),
        "1049",
        "Database '{database}' does not exist on {where}: {message}",
        "Create it with utf8mb4: python manage.py dbdoctor --create-missing, or\n"
        "  CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
        database_missing=True,
    ),
    Explanation(
        code_is("1044"),
        "1044",
        "'{user}' has no rights on database '{database}' (it may also not exist): {message}",
        "As an administrator ({admin_client}), grant them to the account the server matched:\n"
        "  GRANT ALL PRIVILEGES ON `{database}`.* TO {account};",
    ),
]


# The errors whose advice names the server: only for them is its greeting read.
GREETING_CODES = {"1044", "1045", "1698"}
