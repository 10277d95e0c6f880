"""MySQL and MariaDB connection errors, explained: the failures that cost people hours.

2003 (nothing listening), 2002 (socket instead of TCP), 1045/1698 (access
denied; root with auth_socket), 1044 (no rights on the database), 1049
(unknown database). A table, read top to bottom: the first row that applies
explains the error.
"""

from __future__ import annotations

from routing.diagnosis import Target
from routing.engines.base import ConnectError, Explanation, code_is


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


EXPLANATIONS = [
    Explanation(
        _nothing_listening,
        "{code}",
        "Nothing is listening on {where}: {message}",
        "Start the database server{start_hint}, or correct the host and port in {url_variable}. "
        "Check with: mariadb-admin --host={host} --port={port} ping",
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
        "This account logs in through the operating system (auth_socket/unix_socket), not a password, "
        "so an application cannot use it. Create a password account for the app instead:\n"
        "  sudo mariadb -e \"CREATE USER 'app'@'%' IDENTIFIED BY 'a-long-password'; "
        "GRANT ALL PRIVILEGES ON \\`{database}\\`.* TO 'app'@'%';\"\n"
        "then put app:a-long-password in {url_variable}.",
    ),
    Explanation(
        code_is("1045"),
        "1045",
        "Access denied for '{user}': {message}",
        "The user or password in {url_variable} is wrong, or the account does not exist for host "
        "'{host}'. Check it: mariadb --host={host} --port={port} --user={user} -p",
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
        "As an administrator (sudo mariadb), grant them to the account the server matched:\n"
        "  GRANT ALL PRIVILEGES ON `{database}`.* TO {account};",
    ),
]
