import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from routing.diagnosis import AliasReport
from routing.doctor import diagnose


class Command(BaseCommand):
    help = (
        "Check every database alias: reachable, server version, role and read_only, replication and lag, "
        "GTID position, database and charset, migrations. Exit status 0 only when all are healthy."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print a JSON document instead of a table.")
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create a missing database (utf8mb4) on the primary and auth aliases.",
        )
        parser.add_argument("--database", action="append", dest="aliases", help="Only this alias (repeatable).")

    def handle(self, *args, **options):
        databases = settings.DATABASES
        unknown = sorted(set(options["aliases"] or []) - set(databases))
        if unknown:
            raise CommandError(f"Unknown alias(es): {', '.join(unknown)}. Known: {', '.join(databases)}.")
        reports = diagnose(databases, options["aliases"], create_missing=options["create_missing"])
        healthy = all(report.healthy for report in reports)
        driver = getattr(settings, "MYSQL_DRIVER", None)
        if options["json"]:
            document = {
                "healthy": healthy,
                "mysql_driver": driver.describe() if driver else None,
                "aliases": [report.as_dict() for report in reports],
            }
            self.stdout.write(json.dumps(document, indent=2))
        else:
            self.stdout.write(render(reports, driver.describe() if driver else None))
        if not healthy:
            raise SystemExit(1)


def render(reports: list[AliasReport], driver: str | None) -> str:
    columns = ["alias", "role", "status", "server", "read_only", "replication", "lag", "gtid", "database", "migrations"]
    rows = [columns]
    for report in reports:
        rows.append(
            [
                report.alias,
                report.role,
                _status(report),
                report.server or ("unreachable" if not report.reachable else "-"),
                {True: "ON", False: "OFF", None: "-"}[report.read_only],
                report.replication_threads or ("-" if not report.replicating else "yes"),
                "-" if report.lag_seconds is None else f"{report.lag_seconds:.0f}s",
                report.gtid or "-",
                _database(report),
                report.migrations or "-",
            ]
        )
    widths = [max(len(row[index]) for row in rows) for index in range(len(columns))]
    lines = []
    if driver is not None:
        lines += [f"MySQL driver: {driver}", ""]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.append("")
    for report in reports:
        lines.append(f"{report.alias}: {report.target}")
        lines += [f"  note: {note}" for note in report.notes]
        for finding in report.findings:
            lines += finding.lines()
    unhealthy = [report.alias for report in reports if not report.healthy]
    lines.append("")
    lines.append(f"Unhealthy: {', '.join(unhealthy)}" if unhealthy else "All aliases are healthy.")
    return "\n".join(lines)


def _status(report: AliasReport) -> str:
    if report.target.startswith("same database as"):
        return "= " + report.target.split("'")[1]
    return "ok" if report.healthy else "FAIL"


def _database(report: AliasReport) -> str:
    if report.database_present is None:
        return "-"
    if not report.database_present:
        return f"{report.database} MISSING"
    return f"{report.database} ({report.collation})" if report.collation else report.database
