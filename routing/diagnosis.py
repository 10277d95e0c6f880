"""Turning a database error into its cause and a fix the user can paste.

These are the failures that cost people hours when wiring Django to MySQL:
2003 (nothing listening), 2002 (socket instead of TCP), 1045/1698 (access
denied, root with auth_socket), 1044 (no rights on the database), 1049
(unknown database), and a missing driver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from routing.conf import routing_settings

# The account the server matched, as its access-denied messages name it: 'app'@'127.0.0.1'.
_ACCOUNT = re.compile(r"'(?P<user>[^']*)'@'(?P<host>[^']*)'")


@dataclass(frozen=True)
class Finding:
    code: str  # the server's error number, or a name such as "replication-stopped"
    problem: str  # what is wrong, with the server's own words
    fix: str  # what to do about it

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "problem": self.problem, "fix": self.fix}


@dataclass(frozen=True)
class Target:
    """Where an alias points, without its password."""

    alias: str
    host: str
    port: str
    user: str
    database: str
    url_variable: str  # the environment variable that configures the alias
    socket: str = ""  # the Unix socket the driver is told to use, if any

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


def account_in(message: str, target: Target) -> str:
    """The account a GRANT must name: the one the server matched, else the user on any host.

    ``'app'@'%'`` is a different account from the ``'app'@'127.0.0.1'`` the
    server may have matched, and granting to it changes nothing for this login.
    """
    match = _ACCOUNT.search(message)
    if match is None:
        return f"'{target.user}'@'%'"
    return f"'{match['user']}'@'{match['host']}'"


def _start_hint() -> str:
    hint = routing_settings.doctor_start_hint
    return f" ({hint})" if hint else ""


def explain_connection_error(code: int, message: str, target: Target) -> Finding:
    where = f"{target.host}:{target.port}"
    # libmariadb reports a refused TCP connection as 2002 too, and PyMySQL a
    # missing socket file as 2003 (errno 2): the message or the target's own
    # socket option tells a socket from TCP, not the code.
    through_socket = "socket" in message.lower() or target.socket != ""
    if code in {2002, 2003} and not through_socket:
        return Finding(
            str(code),
            f"Nothing is listening on {where}: {message}",
            f"Start the database server{_start_hint()}, or correct the host and port in {target.url_variable}. "
            f"Check with: mariadb-admin --host={target.host} --port={target.port} ping",
        )
    if code in {2002, 2003}:
        return Finding(
            str(code),
            f"Could not connect through the Unix socket {target.socket or '(the client library default)'}: {message}",
            f"With host 'localhost' the client uses a socket file, not TCP. Use 127.0.0.1 as the host in "
            f"{target.url_variable} to connect over TCP, or give the server's socket path "
            "(?unix_socket=/run/mysqld/mysqld.sock in the URL).",
        )
    if code == 1698 or (code == 1045 and target.user == "root"):
        return Finding(
            str(code),
            f"Access denied for '{target.user}': {message}",
            "This account logs in through the operating system (auth_socket/unix_socket), not a password, "
            "so an application cannot use it. Create a password account for the app instead:\n"
            f"  sudo mariadb -e \"CREATE USER 'app'@'%' IDENTIFIED BY 'a-long-password'; "
            f"GRANT ALL PRIVILEGES ON \\`{target.database}\\`.* TO 'app'@'%';\"\n"
            f"then put app:a-long-password in {target.url_variable}.",
        )
    if code == 1045:
        return Finding(
            "1045",
            f"Access denied for '{target.user}': {message}",
            f"The user or password in {target.url_variable} is wrong, or the account does not exist for host "
            f"'{target.host}'. Check it: mariadb --host={target.host} --port={target.port} --user={target.user} -p",
        )
    if code == 1049:
        return Finding(
            "1049",
            f"Database '{target.database}' does not exist on {where}: {message}",
            "Create it with utf8mb4: python manage.py dbdoctor --create-missing, or\n"
            f"  CREATE DATABASE `{target.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
        )
    if code == 1044:
        return Finding(
            "1044",
            f"'{target.user}' has no rights on database '{target.database}' (it may also not exist): {message}",
            "As an administrator (sudo mariadb), grant them to the account the server matched:\n"
            f"  GRANT ALL PRIVILEGES ON `{target.database}`.* TO {account_in(message, target)};",
        )
    return Finding(str(code), message, f"Check the server's log and the settings in {target.url_variable}.")


def driver_missing(message: str) -> Finding:
    return Finding(
        "driver",
        f"The database driver could not be loaded: {message}",
        "Install the driver this alias's ENGINE needs (the message names it) in the virtual environment.",
    )


def replication_stopped(io_running: str, sql_running: str, last_error: str) -> Finding:
    error = last_error or "no error recorded (stopped by hand?)"
    return Finding(
        "replication-stopped",
        f"Replication is not running (IO thread: {io_running}, SQL thread: {sql_running}). Last error: {error}",
        "Fix the cause named in the error, then on the replica: START SLAVE; "
        "and watch SHOW SLAVE STATUS until both threads say Yes.",
    )
