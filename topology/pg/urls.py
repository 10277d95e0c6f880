"""The database URLs of the cluster, for the service's ``*_DATABASE_URL`` variables.

The service's aliases (primary, replica1, replica2) follow the servers' roles:
after a failover to ``replica1``, PRIMARY_DATABASE_URL names the server
``replica1`` and REPLICA1_DATABASE_URL the server ``primary`` (once it is a
standby again). The two swap; the third keeps its alias, so ``replica2``, the
delayed standby, stays REPLICA2.

The multi-host URLs list every server, the current primary first, with
``target_session_attrs=read-write``: libpq connects to whichever one is the
writable primary, so a process that read them keeps writing after a failover.
dj-database-url cannot parse ``host1:port1,host2:port2`` (urllib rejects the
port), so the hosts go percent-encoded in the host part and the ports in a
``port`` query parameter, which Django hands to psycopg as a connection option:
``postgres://app:pw@127.0.0.1%2C127.0.0.1/articles?port=5433%2C5434&target_session_attrs=read-write``
parses to HOST "127.0.0.1,127.0.0.1", PORT "", OPTIONS {"port": "5433,5434", ...}.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from topology.pg.ports import SERVER_NAMES

DATA_DATABASE = "articles"
AUTH_DATABASE = "articles_auth"
APP_USER = "app"
HOST = "127.0.0.1"


def servers_by_alias(primary: str) -> dict[str, str]:
    """Which server each alias names while ``primary`` is the primary."""
    aliases = {name: name for name in SERVER_NAMES}
    aliases["primary"], aliases[primary] = primary, "primary"
    return aliases


def database_url(password: str, port: int, database: str) -> str:
    return f"postgres://{APP_USER}:{password}@{HOST}:{port}/{database}"


def multi_host_url(password: str, ports: list[int], database: str) -> str:
    hosts = quote(",".join(HOST for _ in ports), safe="")
    port_list = quote(",".join(str(port) for port in ports), safe="")
    return f"postgres://{APP_USER}:{password}@{hosts}/{database}?port={port_list}&target_session_attrs=read-write"


def database_urls(ports: Mapping[str, int], primary: str, password: str) -> dict[str, str]:
    """The variables of topology.env, from the servers' ports and the name of the current primary."""
    server = servers_by_alias(primary)

    def url(alias: str, database: str) -> str:
        return database_url(password, ports[server[alias]], database)

    primary_first = [ports[primary], *(ports[name] for name in SERVER_NAMES if name != primary)]
    return {
        "PRIMARY_DATABASE_URL": url("primary", DATA_DATABASE),
        "REPLICA1_DATABASE_URL": url("replica1", DATA_DATABASE),
        "REPLICA2_DATABASE_URL": url("replica2", DATA_DATABASE),
        "AUTH_DATABASE_URL": url("primary", AUTH_DATABASE),
        # The standbys hold a copy of the auth database too: auth reads go
        # there while the primary is down.
        "AUTH_REPLICA1_DATABASE_URL": url("replica1", AUTH_DATABASE),
        "AUTH_REPLICA2_DATABASE_URL": url("replica2", AUTH_DATABASE),
        "PRIMARY_MULTIHOST_DATABASE_URL": multi_host_url(password, primary_first, DATA_DATABASE),
        "AUTH_MULTIHOST_DATABASE_URL": multi_host_url(password, primary_first, AUTH_DATABASE),
    }
