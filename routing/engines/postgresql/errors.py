"""PostgreSQL connection errors, explained.

At connect time libpq gives no SQLSTATE for most failures, so the rows match
its message. Read top to bottom: the first row that applies explains the error.
"""

from __future__ import annotations

import re

from routing.engines.base import ConnectError, Explanation, message_has, message_matches

_CLIENT_ADDRESS = re.compile(r'host "(?P<address>[^"]+)"')


def client_address(error: ConnectError) -> str:
    """The client address a pg_hba.conf rejection names, for the line that admits it."""
    match = _CLIENT_ADDRESS.search(error.message)
    return match["address"] if match else "127.0.0.1"


EXPLANATIONS = [
    Explanation(
        message_has("Peer authentication failed", "Ident authentication failed"),
        "peer-auth",
        "The server checks the operating-system user of socket connections (peer authentication), so the "
        "password in {url_variable} is never asked for: {message}",
        "Connect over TCP instead: set the host in {url_variable} to 127.0.0.1 "
        "(postgres://{user}:...@127.0.0.1:{port}/{database}); or change the 'local' line of pg_hba.conf "
        "to scram-sha-256 and reload the server (SELECT pg_reload_conf();).",
    ),
    Explanation(
        message_has("Connection refused"),
        "connection-refused",
        "Nothing is listening on {where}: {message}",
        "Start the database server{start_hint}, or correct the host and port in {url_variable}. "
        "Check with: pg_isready --host={host} --port={port}",
    ),
    Explanation(
        message_has("No such file or directory"),
        "socket",
        "Could not connect through a Unix socket (no host in {url_variable}): {message}",
        "Give the host: 127.0.0.1 in {url_variable} connects over TCP, "
        "or name the socket folder as the host (host=/var/run/postgresql).",
    ),
    Explanation(
        message_has("password authentication failed"),
        "28P01",
        "The server refused the password of '{user}' on {where}: {message}",
        "The user or password in {url_variable} is wrong. Check it: "
        'psql "host={host} port={port} user={user} dbname={database}" (it asks for the password)',
    ),
    Explanation(
        message_has("no pg_hba.conf entry"),
        "pg_hba",
        "The server does not admit this client: {message}",
        "Add a line for it to the server's pg_hba.conf, then reload it (SELECT pg_reload_conf(); as a "
        "superuser):\n  host  {database}  {user}  {client_address}/32  scram-sha-256",
    ),
    Explanation(
        message_matches(r'role ".*" does not exist'),
        "role-missing",
        "The role '{user}' does not exist on {where}: {message}",
        "As a superuser (sudo -u postgres psql), create it and give it the database:\n"
        "  CREATE ROLE \"{user}\" LOGIN PASSWORD 'a-long-password';\n"
        '  ALTER DATABASE "{database}" OWNER TO "{user}";\n'
        "then put the password in {url_variable}.",
    ),
    Explanation(
        message_matches(r'database ".*" does not exist'),
        "3D000",
        "Database '{database}' does not exist on {where}: {message}",
        "Create it in UTF8: python manage.py dbdoctor --create-missing, or as its owner:\n"
        "  CREATE DATABASE \"{database}\" ENCODING 'UTF8' TEMPLATE template0;",
        database_missing=True,
    ),
    Explanation(
        message_has("timeout expired"),
        "timeout",
        "Nothing answered on {where} within the connect timeout: {message}",
        "A wrong host, or a firewall dropping the connection: check the host and port in {url_variable}.",
    ),
    Explanation(
        message_has("could not translate host name"),
        "dns",
        "The host name does not resolve: {message}",
        "Correct the host in {url_variable}.",
    ),
]
