from importlib.metadata import PackageNotFoundError, distribution

import pytest

from project.mysql_driver import MYSQLCLIENT_HINT
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
    kept, needing = [], []
    for item in items:
        (needing if item.get_closest_marker("mysqlclient") else kept).append(item)
    if needing:
        config.hook.pytest_deselected(items=needing)
        items[:] = kept
        _NOT_RUN_WITHOUT_MYSQLCLIENT.extend(item.nodeid for item in needing)


def pytest_terminal_summary(terminalreporter):
    if not _NOT_RUN_WITHOUT_MYSQLCLIENT:
        return
    terminalreporter.write_sep("*", "mysqlclient is not installed: its own cases were not run", yellow=True)
    for nodeid in _NOT_RUN_WITHOUT_MYSQLCLIENT:
        terminalreporter.write_line(f"  {nodeid}")
    terminalreporter.write_line(f"To run them: {MYSQLCLIENT_HINT}.")
