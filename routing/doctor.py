"""Diagnosing every database alias: can it be reached, and is it what routing expects?

The doctor opens its own connections (a private ``ConnectionHandler``), never
the application's, with short timeouts so a dead host cannot hang it. What is
engine-specific (the server's facts, its error messages, its fixes) comes from
the engine adapters (routing.engines); the verdict on a replica is the one the
health registry gives.
"""

from __future__ import annotations

import copy

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import ConnectionHandler

from routing.aliases import migration_aliases, same_database
from routing.conf import routing_settings
from routing.diagnosis import AliasReport, Finding, driver_missing
from routing.engines import engine_for_settings
from routing.engines.base import UNREAD, Engine, judge

CONNECT_TIMEOUT_SECONDS = 3

# What a role mistake means when the engine has no words of its own for it.
_ROLE_PROBLEMS = {
    "replica-writable": (
        "This replica accepts writes: a write sent here by mistake would succeed and the replica would drift.",
        "Make the replica read-only.",
    ),
    "primary-read-only": (
        "This server refuses writes. Does this alias point at a replica?",
        "Point {url_variable} at the primary server.",
    ),
    "primary-is-replica": (
        "This server replicates from another: writes here would make it diverge.",
        "Point {url_variable} at the primary server.",
    ),
}


def expected_role(alias: str) -> str:
    if alias == routing_settings.primary:
        return "primary"
    if alias in routing_settings.replicas:
        return "replica"
    if alias == routing_settings.auth_db:
        return "auth"
    if alias in routing_settings.auth_replicas:
        return "replica"
    return "default" if alias == "default" else "other"


def url_variable(alias: str) -> str:
    """Where the user configures ``alias``, in the words of their project."""
    return routing_settings.doctor_url_variables.get(alias, f"DATABASES['{alias}']")


def diagnose(
    databases: dict[str, dict], aliases: list[str] | None = None, *, create_missing: bool = False
) -> list[AliasReport]:
    """One report per alias (all of ``databases``, a DATABASES setting, by default)."""
    private = copy.deepcopy(databases)
    for config in private.values():
        options = engine_for_settings(config).doctor_options(CONNECT_TIMEOUT_SECONDS)
        config["OPTIONS"] = {**config.get("OPTIONS", {}), **options}
        # Django keys connection pools by alias: a pooled alias here would take
        # the application's pool, and a refused connection would show as the
        # pool's timeout instead of the server's own error.
        config["OPTIONS"].pop("pool", None)
    handler = ConnectionHandler(private)
    reports: dict[str, AliasReport] = {}
    try:
        for alias in aliases or list(private):
            reports[alias] = _diagnose_alias(handler, alias, create_missing)
    finally:
        handler.close_all()
    _compare_replica_migrations(reports)
    return list(reports.values())


def _diagnose_alias(handler: ConnectionHandler, alias: str, create_missing: bool) -> AliasReport:
    config = handler.settings[alias]
    engine = engine_for_settings(config)
    role = expected_role(alias)
    target = engine.target(alias, config, url_variable(alias))
    report = AliasReport(alias, role, engine.vendor, str(target), database=target.database)
    original = _duplicate_of(handler.settings, alias)
    if original is not None:
        report.target, report.reachable, report.notes = f"same database as '{original}'", True, ["not checked twice"]
        return report
    try:
        handler[alias]  # loads the backend, which imports the driver
    except ImproperlyConfigured as error:
        report.findings.append(driver_missing(str(error), engine.driver_hint))
        return report
    status = engine.diagnose(handler, report, target, create_missing)
    if not report.reachable or report.database_present is False:
        return report
    if status is not UNREAD:
        _judge_replication(engine, report, status)
    _check_role(engine, report)
    _read_migrations(handler, alias, report)
    return report


def _duplicate_of(databases: dict[str, dict], alias: str) -> str | None:
    """The primary or auth alias that ``alias`` merely renames (``default``), if any."""
    if alias in routing_settings.data_aliases or alias == routing_settings.auth_db:
        return None  # a routed alias is always checked (a test mirror looks like a duplicate)
    for other in (routing_settings.primary, routing_settings.auth_db):
        if other != alias and other in databases and same_database(databases[alias], databases[other]):
            return other
    return None


# Replication and roles -----------------------------------------------------------------


def _judge_replication(engine: Engine, report: AliasReport, status) -> None:
    report.replicating = status is not None
    if status is not None and not engine.features.replicas_share_storage:
        report.replication_threads = status.state
        report.lag_seconds, report.lag_bytes = status.lag_seconds, status.lag_bytes
        report.gtid = status.applied or report.gtid
    if report.role != "replica":
        return
    limit = routing_settings.max_replica_lag
    verdict = judge(status, limit, routing_settings.max_replica_lag_bytes)
    if not verdict.healthy:
        report.findings.append(engine.replica_finding(verdict, status, limit))


def _check_role(engine: Engine, report: AliasReport) -> None:
    if report.role == "replica":
        if report.read_only is False and not engine.features.replicas_refuse_all_writes:
            report.findings.append(_role_finding(engine, report, "replica-writable"))
    elif report.role in {"primary", "auth"}:
        if report.read_only:
            report.findings.append(_role_finding(engine, report, "primary-read-only"))
        if report.replicating:
            report.findings.append(_role_finding(engine, report, "primary-is-replica"))


def _role_finding(engine: Engine, report: AliasReport, code: str) -> Finding:
    problem, fix = engine.role_advice.get(code, _ROLE_PROBLEMS[code])
    variable = url_variable(report.alias)
    return Finding(code, problem.format(url_variable=variable), fix.format(url_variable=variable))


# Migrations ---------------------------------------------------------------------------


def _read_migrations(handler: ConnectionHandler, alias: str, report: AliasReport) -> None:
    connection = handler[alias]
    try:
        recorder = MigrationRecorder(connection)
        applied = len(recorder.applied_migrations()) if recorder.has_table() else 0
        report.applied_migrations = applied
        if alias not in migration_aliases():
            report.migrations = f"{applied} recorded (received from the primary)"
            return
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        report.migrations = f"unknown ({error})"
        return
    if pending:
        report.migrations = f"{len(pending)} not applied"
        report.findings.append(
            Finding(
                "migrations",
                f"{len(pending)} migrations are not applied on '{alias}'.",
                "Run: python manage.py migrate",
            )
        )
    else:
        report.migrations = f"all applied ({applied})"


def _compare_replica_migrations(reports: dict[str, AliasReport]) -> None:
    primary = reports.get(routing_settings.primary)
    if primary is None or primary.applied_migrations is None:
        return
    for replica in routing_settings.replicas:
        report = reports.get(replica)
        if report is None or report.applied_migrations is None:
            continue
        missing = primary.applied_migrations - report.applied_migrations
        if missing > 0:
            report.findings.append(
                Finding(
                    "replica-behind",
                    f"The replica has {missing} fewer migrations than the primary: replication is behind or broken.",
                    "Schema reaches replicas only by replication: check the replica's replication state "
                    "(python manage.py dbdoctor shows it).",
                )
            )


# Where the user is: a command that could not connect -----------------------------------


def explain_connection_failure(databases: dict[str, dict], command: str) -> str | None:
    """For a management command that failed to connect: the doctor's finding for each alias that cannot.

    None when every alias connects (the failure was something else, and its
    own traceback is the better guide).
    """
    failing = [report for report in diagnose(databases) if report.cannot_connect]
    if not failing:
        return None
    lines = [f"`{command}` could not connect to {'a database' if len(failing) == 1 else 'its databases'}:"]
    for report in failing:
        lines.append(f"{report.alias} ({report.target})")
        for finding in report.findings:
            lines += finding.lines()
    lines.append("Run `python manage.py dbdoctor` to check every alias; add --traceback for the driver's traceback.")
    return "\n".join(lines)
