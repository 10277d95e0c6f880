"""A PostgreSQL primary and two streaming hot standbys, owned by the project.

The PostgreSQL twin of the MariaDB topology in ``topology/``: ``python -m
topology.pg up|down|status|env|failover`` (``make pg-up`` ...). Everything
lives under one folder (``var/postgres/`` by default; a temporary folder for a
test run), on 127.0.0.1 only, never on the machine's own PostgreSQL (5432).

One module per job:

- ``binaries``: finding initdb, pg_ctl, postgres, pg_basebackup and psql;
- ``account``: which operating-system account runs the servers (PostgreSQL refuses root);
- ``conf``: the configuration files the project writes (pg_hba.conf, topology.conf);
- ``server``: one server's files and life cycle (initdb, base backup, start, stop, promote, SQL);
- ``ports``: which ports the cluster uses, from ``PG_*_PORT`` and ``topology.json``;
- ``cluster``: the three servers together (up, down, status, failover, delay);
- ``report``: the env file and the status table, as text;
- ``cli``: the command line.
"""
