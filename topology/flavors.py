"""How each kind of MySQL server is set up and asked: MariaDB and Oracle MySQL differ in the details.

Both get the same topology (a primary, two read-only replicas, GTID
replication, an application user that the replicas refuse writes from), but
the statements and options differ:

============================  =================================  =======================================
                              MariaDB 10.11                      MySQL 8.4 / 9.x
============================  =================================  =======================================
new data folder               mariadb-install-db                 mysqld --initialize-insecure
GTIDs                         domain-server-seq, gtid_slave_pos  uuid:1-n sets, gtid_mode=ON
point a replica               CHANGE MASTER TO ... slave_pos     CHANGE REPLICATION SOURCE TO ...
                                                                 SOURCE_AUTO_POSITION=1
status columns                Slave_IO_Running, Master_Port      Replica_IO_Running, Source_Port
a replica refuses SUPER too   (no SUPER for the app suffices)    super_read_only
app user                      mysql_native_password (default)    caching_sha2_password
read replication state        SLAVE MONITOR                      REPLICATION CLIENT
wait for a position           MASTER_GTID_WAIT                   WAIT_FOR_EXECUTED_GTID_SET
============================  =================================  =======================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from topology.binaries import Binaries


@dataclass(frozen=True)
class ReplicationState:
    """One replica's SHOW REPLICA STATUS, in words both servers share; empty when it replicates from nowhere."""

    source_host: str = ""
    source_port: str = ""
    io_running: str = ""
    sql_running: str = ""
    lag: str = ""
    delay: str = "0"
    io_error: str = ""
    sql_error: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.source_host)

    @property
    def running(self) -> bool:
        return self.io_running == "Yes" and self.sql_running == "Yes"

    @classmethod
    def from_columns(cls, status: dict[str, str]) -> ReplicationState:
        """From either server's column names (MariaDB keeps the old ones under SHOW REPLICA STATUS)."""

        def column(old: str, new: str) -> str:
            return status.get(old, status.get(new, ""))

        return cls(
            source_host=column("Master_Host", "Source_Host"),
            source_port=column("Master_Port", "Source_Port"),
            io_running=column("Slave_IO_Running", "Replica_IO_Running"),
            sql_running=column("Slave_SQL_Running", "Replica_SQL_Running"),
            lag=column("Seconds_Behind_Master", "Seconds_Behind_Source"),
            delay=status.get("SQL_Delay", "0") or "0",
            io_error=status.get("Last_IO_Error", ""),
            sql_error=status.get("Last_SQL_Error", ""),
        )


class Flavor:
    """The statements and options of one kind of server; see the module's table."""

    name: str  # as users know it: MariaDB, MySQL
    log_bin = "mysql-bin"
    # The global variables that hold a primary's and a replica's GTID position.
    primary_gtid_variable: str
    replica_gtid_variable: str

    def server_name(self, version_output: str) -> str:
        """``MariaDB 10.11.19`` or ``MySQL 9.7.4`` from what ``mysqld --version`` prints."""
        match = re.search(r"Ver\s+(\d+\.\d+\.\d+)", version_output)
        return f"{self.name} {match.group(1)}" if match else self.name

    def initialize_command(self, binaries: Binaries, datadir: Path, tmpdir: Path, log_file: Path) -> list[str]:
        """A new data folder with its system tables and a root without a password (secured right after)."""
        raise NotImplementedError

    def server_options(self, read_only: bool) -> list[str]:
        raise NotImplementedError

    def secure_root(self, password: str, read_only: bool) -> str:
        return self.unlogged(f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{password}';", read_only)

    def unlogged(self, statements: str, read_only: bool) -> str:
        """``statements`` run by root on this server alone: not binlogged, so no replica receives them."""
        return f"SET SESSION sql_log_bin = 0; {statements}"

    def app_account(self, account: str, password: str) -> list[str]:
        """Create the application user (idempotent) and let it read replication state, which writes nothing."""
        raise NotImplementedError

    def point_replica(self, port: int, user: str, password: str) -> str:
        raise NotImplementedError

    def move_source_port(self, port: int) -> str:
        raise NotImplementedError

    def set_delay(self, seconds: int) -> str:
        raise NotImplementedError

    start_replica = "START REPLICA;"
    stop_replica = "STOP REPLICA;"
    status_query = "SHOW REPLICA STATUS"

    def wait_for_position(self, position: str, timeout: float) -> str:
        """SQL returning 0 once this server has applied ``position``, else 1 (or NULL) after ``timeout``."""
        raise NotImplementedError


class MariaDB(Flavor):
    name = "MariaDB"
    log_bin = "mariadb-bin"
    primary_gtid_variable = "gtid_binlog_pos"
    replica_gtid_variable = "gtid_slave_pos"

    def initialize_command(self, binaries: Binaries, datadir: Path, tmpdir: Path, log_file: Path) -> list[str]:
        return [
            binaries.install_db,
            "--no-defaults",
            f"--datadir={datadir}",
            f"--tmpdir={tmpdir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]

    def server_options(self, read_only: bool) -> list[str]:
        return [
            "--binlog-format=ROW",
            "--log-slave-updates",
            "--gtid-strict-mode=1",
            *(["--read-only"] if read_only else []),
        ]

    def secure_root(self, password: str, read_only: bool) -> str:
        # read_only does not bind root on MariaDB (it has READ ONLY ADMIN).
        return self.unlogged(
            "DELETE FROM mysql.global_priv WHERE User = '' OR "
            "(User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1')); "
            "FLUSH PRIVILEGES; "
            f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{password}'; "
            f"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '{password}'; "
            f"ALTER USER 'root'@'::1' IDENTIFIED BY '{password}';",
            read_only,
        )

    def app_account(self, account: str, password: str) -> list[str]:
        return [
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY '{password}'",
            f"GRANT SLAVE MONITOR ON *.* TO {account}",
        ]

    def point_replica(self, port: int, user: str, password: str) -> str:
        return (
            "STOP SLAVE; "
            f"CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {port}, "
            f"MASTER_USER = '{user}', MASTER_PASSWORD = '{password}', "
            "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1; "
            "START SLAVE;"
        )

    def move_source_port(self, port: int) -> str:
        return f"STOP SLAVE; CHANGE MASTER TO MASTER_PORT = {port}; START SLAVE;"

    def set_delay(self, seconds: int) -> str:
        return f"STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = {int(seconds)}; START SLAVE;"

    def wait_for_position(self, position: str, timeout: float) -> str:
        return f"SELECT MASTER_GTID_WAIT('{position}', {timeout:g})"


class MySQL(Flavor):
    name = "MySQL"
    primary_gtid_variable = "gtid_executed"
    replica_gtid_variable = "gtid_executed"

    def initialize_command(self, binaries: Binaries, datadir: Path, tmpdir: Path, log_file: Path) -> list[str]:
        return [
            binaries.server,
            "--no-defaults",
            "--initialize-insecure",
            f"--datadir={datadir}",
            f"--tmpdir={tmpdir}",
            f"--log-error={log_file}",
        ]

    def server_options(self, read_only: bool) -> list[str]:
        return [
            "--gtid-mode=ON",
            "--enforce-gtid-consistency=ON",
            # Off port 33060: the X protocol is not used, and several servers run side by side.
            "--mysqlx=OFF",
            # read_only alone lets SUPER and CONNECTION_ADMIN accounts write.
            *(["--read-only", "--super-read-only"] if read_only else []),
        ]

    def unlogged(self, statements: str, read_only: bool) -> str:
        # super_read_only refuses writes even to root: lift it for these
        # statements (not binlogged, so no GTID is used up), then put it back.
        statements = super().unlogged(statements, read_only)
        if read_only:
            return f"SET GLOBAL super_read_only = OFF; {statements} SET GLOBAL super_read_only = ON;"
        return statements

    def app_account(self, account: str, password: str) -> list[str]:
        # caching_sha2_password is MySQL's default since 8.0 and the only
        # password plugin left in 9.x (mysql_native_password was removed).
        return [
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED WITH caching_sha2_password BY '{password}'",
            f"GRANT REPLICATION CLIENT ON *.* TO {account}",
            # Where a failed replicated transaction's own error is (the doctor shows it).
            f"GRANT SELECT ON performance_schema.replication_applier_status_by_worker TO {account}",
        ]

    def point_replica(self, port: int, user: str, password: str) -> str:
        # GET_SOURCE_PUBLIC_KEY: the replication user authenticates with
        # caching_sha2_password, which needs the server's RSA key without TLS.
        return (
            "STOP REPLICA; "
            f"CHANGE REPLICATION SOURCE TO SOURCE_HOST = '127.0.0.1', SOURCE_PORT = {port}, "
            f"SOURCE_USER = '{user}', SOURCE_PASSWORD = '{password}', "
            "SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1, SOURCE_CONNECT_RETRY = 1; "
            "START REPLICA;"
        )

    def move_source_port(self, port: int) -> str:
        return f"STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_PORT = {port}; START REPLICA;"

    def set_delay(self, seconds: int) -> str:
        return f"STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY = {int(seconds)}; START REPLICA;"

    def wait_for_position(self, position: str, timeout: float) -> str:
        return f"SELECT WAIT_FOR_EXECUTED_GTID_SET('{position}', {timeout:g})"


def flavor_of(version_output: str) -> Flavor:
    return MariaDB() if "mariadb" in version_output.lower() else MySQL()
