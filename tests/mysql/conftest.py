from importlib.metadata import PackageNotFoundError, distribution

import pytest

from tests.replication import topology, wait_for_replicas
from topology.suite import in_ci

# How far replica2 trails the primary in the lag tests: long enough to observe.
DELAY_SECONDS = 2


@pytest.fixture
def delayed_replica2(transactional_db):
    # After the database fixture, so the previous test's clean-up has reached
    # replica2 before the delay starts (and is torn down before the next flush).
    wait_for_replicas()
    cluster = topology()
    cluster.set_delay("replica2", DELAY_SECONDS)
    try:
        yield
    finally:
        cluster.set_delay("replica2", 0)
        wait_for_replicas()


def mysqlclient_installed() -> bool:
    # Not `import MySQLdb`: under MYSQL_DRIVER=pymysql that name is PyMySQL.
    try:
        distribution("mysqlclient")
    except PackageNotFoundError:
        return False
    return True


_NOT_RUN_WITHOUT_MYSQLCLIENT: list[str] = []


def pytest_collection_modifyitems(config, items):
    """Without mysqlclient, its own cases are not run, and the summary says why.

    `make` falls back to PyMySQL where mysqlclient cannot be compiled, so such a
    machine has nothing for these cases to test; missing servers are handled the
    same way. Under CI=true they run, and fail, as a missing server does.
    """
    if in_ci() or mysqlclient_installed():
        return
    needing = [item for item in items if item.get_closest_marker("mysqlclient")]
    if not needing:
        return
    config.hook.pytest_deselected(items=needing)
    items[:] = [item for item in items if not item.get_closest_marker("mysqlclient")]
    _NOT_RUN_WITHOUT_MYSQLCLIENT.extend(item.nodeid for item in needing)


def pytest_terminal_summary(terminalreporter):
    if not _NOT_RUN_WITHOUT_MYSQLCLIENT:
        return
    terminalreporter.write_sep("*", "mysqlclient is not installed: its own cases were not run", yellow=True)
    for nodeid in _NOT_RUN_WITHOUT_MYSQLCLIENT:
        terminalreporter.write_line(f"  {nodeid}")
    terminalreporter.write_line(
        "To run them, install the MariaDB client headers, pkg-config and a compiler "
        "(Debian/Ubuntu: apt-get install libmariadb-dev pkg-config gcc python3-dev), then run make again."
    )
