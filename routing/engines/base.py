"""The interface of an engine adapter, and what every engine shares.

Django's ``django/db/backends/<vendor>/`` is the model: generic code (replica
health, causal reads, the query recorder, the doctor) asks the adapter of a
connection and its capability flags, and never names a vendor. An engine is one
package under ``routing.engines``; adding one is adding a package.
"""

from __future__ import annotations

import dataclasses
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from routing.diagnosis import AliasReport, Finding, Target, account_in, driver_missing

# Statements that change rows; most statements are SELECTs, ruled out by their first character.
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")
_WRITE_INITIALS = frozenset("IUDRMiudrm \n\t")


def one_line(error: object, limit: int = 300) -> str:
    return " ".join(str(error).split())[:limit]


# Replica status -----------------------------------------------------------------------


@dataclass
class ReplicaStatus:
    """A replica's replication as its server reports it, in words every engine shares."""

    receiving: bool  # changes arrive from the primary (MySQL's IO thread, PostgreSQL's WAL receiver)
    applying: bool  # and are applied (the SQL thread; WAL replay not paused)
    state: str  # the engine's own words for both: "IO Yes, SQL Yes", "WAL receiver streaming, replay running"
    lag_seconds: float | None = None  # behind the primary, the deliberate delay not counted; None: unknown
    lag_bytes: int | None = None  # received but not yet applied, where the engine can tell
    delay_seconds: float = 0.0  # a deliberate apply delay (MASTER_DELAY, recovery_min_apply_delay)
    last_error: str = ""  # why applying stopped
    receive_error: str = ""  # why receiving stopped
    applied: str = ""  # the replication position applied, for the health cache
    detail: str = ""  # `state` in full words, for the doctor ("IO thread: Yes, SQL thread: No")


class _Unread:
    """The replica status could not be read: the server is unreachable, or the user may not see it."""

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD = _Unread()


@dataclass(frozen=True)
class Verdict:
    """Whether a replica may serve reads; the same verdict for the health registry and the doctor."""

    code: str  # "" when it may; else the doctor's finding code
    reason: str  # the health registry's words

    @property
    def healthy(self) -> bool:
        return not self.code


HEALTHY = Verdict("", "")
NOT_RECEIVING = "not receiving changes from the primary"


def judge(status: ReplicaStatus | None, max_lag_seconds: float, max_lag_bytes: int) -> Verdict:
    """The verdict on a replica's status.

    Lag counts only when it is over the limit in time *and* in bytes, where the
    engine reports bytes: on PostgreSQL the replay timestamp stands still while
    the primary is idle, so time alone would call an idle, caught-up standby
    minutes behind (GitLab's load balancer judges its standbys the same way).
    """
    if status is None:
        return Verdict("not-a-replica", "not a replica: it replicates from nowhere")
    if not status.applying:
        return Verdict(
            "replication-stopped", f"replication stopped ({status.state}): {one_line(status.last_error or 'stopped')}"
        )
    if not status.receiving:
        error = one_line(status.receive_error or "not connected")
        return Verdict("not-receiving", f"{NOT_RECEIVING} ({status.state}): {error}")
    lag = status.lag_seconds
    if lag is not None and lag > max_lag_seconds and (status.lag_bytes is None or status.lag_bytes > max_lag_bytes):
        return Verdict("lagging", f"lag {lag:.0f} s is over the {max_lag_seconds:g} s limit")
    return HEALTHY


# Replication positions -------------------------------------------------------------------


class Positions(ABC):
    """How one engine names, reports and waits for a replication position (for causal tokens)."""

    name: str

    @abstractmethod
    def after_commit(self, connection) -> str | None:
        """The position of what ``connection`` (on the primary) has just committed."""

    @abstractmethod
    def is_valid(self, position: str) -> bool:
        """Whether ``position`` is well-formed; nothing else ever reaches SQL."""

    @abstractmethod
    def reached(self, connection, position: str, timeout: float) -> bool:
        """Whether the replica behind ``connection`` applies ``position`` within ``timeout`` seconds."""

    def covers(self, applied: str, position: str) -> bool:
        """Whether an applied position (from the health cache) includes ``position``; False if unknown."""
        return False


# Connection errors, explained --------------------------------------------------------------


@dataclass(frozen=True)
class ConnectError:
    """A failure to connect, as the driver reported it."""

    code: str  # the server's or client's error number, the SQLSTATE, or ""
    message: str


@dataclass(frozen=True)
class Explanation:
    """One row of an engine's table of connection errors: when it applies, what it means, what to do.

    ``problem`` and ``fix`` are format strings over the fields of
    :func:`explanation_fields`, so the advice names the user's own host, port,
    database and settings.
    """

    applies: Callable[[ConnectError, Target], bool]
    code: str  # the finding's code; "{code}" keeps the driver's own
    problem: str
    fix: str
    database_missing: bool = False  # the server answered: only the database is missing


def explain(table: list[Explanation], error: ConnectError, target: Target, **extra: str) -> Finding:
    """The first row of ``table`` that applies, filled in; a generic finding when none does."""
    fields = explanation_fields(error, target, **extra)
    for row in table:
        if row.applies(error, target):
            return Finding(row.code.format(**fields), row.problem.format(**fields), row.fix.format(**fields))
    fix = "Check the server's log and the settings in {url_variable}.".format(**fields)
    return Finding(error.code or "error", error.message, fix)


def is_missing_database(table: list[Explanation], error: ConnectError, target: Target) -> bool:
    return any(row.database_missing for row in table if row.applies(error, target))


def explanation_fields(error: ConnectError, target: Target, **extra: str) -> dict[str, str]:
    from routing.conf import routing_settings

    hint = routing_settings.doctor_start_hint
    return {
        "code": error.code,
        "message": error.message,
        "where": f"{target.host}:{target.port}",
        "host": target.host,
        "port": target.port,
        "user": target.user,
        "database": target.database,
        "socket": target.socket,
        "socket_or_default": target.socket or "(the client library default)",
        "account": account_in(error.message, target),
        "url_variable": target.url_variable,
        "start_hint": f" ({hint})" if hint else "",
        **extra,
    }


def code_is(*codes: str) -> Callable[[ConnectError, Target], bool]:
    return lambda error, target: error.code in codes


def message_matches(pattern: str) -> Callable[[ConnectError, Target], bool]:
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda error, target: bool(compiled.search(error.message))


def message_has(*markers: str) -> Callable[[ConnectError, Target], bool]:
    patterns = [re.compile(re.escape(marker), re.IGNORECASE) for marker in markers]
    return lambda error, target: any(pattern.search(error.message) for pattern in patterns)


# The adapter ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """What an engine can do, for generic code to ask instead of its name."""

    # Its replicas read the primary's own storage: no lag, nothing to replicate.
    replicas_share_storage: bool = False
    # A replica refuses every write by itself, whoever the user is (a PostgreSQL standby),
    # so no privilege check is needed.
    replicas_refuse_all_writes: bool = False


class Engine(ABC):
    """One database engine, as routing and the doctor need it."""

    vendor: str  # Django's connection.vendor
    display_name: str
    features = Features()
    # Connection errors: the first row that applies explains one (see `explain`).
    explanations: list[Explanation] = []
    # Replica verdicts in the doctor: code -> (problem, fix), format strings over
    # the verdict and the status (see `replica_finding`).
    replica_advice: dict[str, tuple[str, str]] = {}
    # Role mistakes in the doctor (routing.doctor's codes): code -> (problem, fix).
    role_advice: dict[str, tuple[str, str]] = {}

    # The driver's package, for the doctor's advice when it cannot be imported.
    driver_hint = "Install the driver this alias's ENGINE needs (the message names it) in the virtual environment."

    # Connections ---------------------------------------------------------------

    def doctor_options(self, timeout: int) -> dict:
        """OPTIONS for the doctor's private connections: none may hang on a dead host."""
        return {}

    @abstractmethod
    def probe_params(self, params: dict, timeout: float) -> dict:
        """``params`` (a wrapper's get_connection_params()) with connect and statement timeouts for a probe."""

    def private_connection(self, wrapper, params: dict):
        """A new driver connection of routing's own (a probe's), never one the application's connections share."""
        return wrapper.get_new_connection(params)

    def is_disconnect(self, error: Exception) -> bool:
        """Whether ``error`` means the server went away, not that the query was wrong."""
        return False

    def is_write(self, sql: str) -> bool:
        """Whether ``sql`` changes rows (cheap: it runs for every query of a request)."""
        return sql[:1] in _WRITE_INITIALS and sql.lstrip()[:7].upper().startswith(_WRITE_VERBS)

    def connect_error(self, error: Exception) -> ConnectError:
        """The driver's failure to connect, as code and message."""
        cause = error.__cause__ or error
        args = getattr(cause, "args", ())
        if len(args) > 1 and isinstance(args[0], int):
            return ConnectError(str(args[0]), str(args[1]))
        return ConnectError(getattr(cause, "sqlstate", None) or "", one_line(cause, 1000))

    # Replication --------------------------------------------------------------

    @abstractmethod
    def replica_status(self, cursor) -> ReplicaStatus | None:
        """The replica's replication status; None when the server replicates from nowhere."""

    def primary_position(self, cursor) -> str:
        """The primary's current replication position, for the health endpoint; "" when it has none."""
        return ""

    def positions(self, connection) -> Positions | None:
        """The position scheme of ``connection`` (open), or None when causal tokens cannot be used."""
        return None

    # The doctor ---------------------------------------------------------------

    def target(self, alias: str, config: dict, url_variable: str) -> Target:
        """Where ``alias`` points, without its password."""
        return Target(
            alias=alias,
            host=str(config.get("HOST") or "localhost"),
            port=str(config.get("PORT") or ""),
            user=str(config.get("USER") or ""),
            database=str(config.get("NAME") or ""),
            url_variable=url_variable,
        )

    @abstractmethod
    def diagnose(
        self, handler, report: AliasReport, target: Target, create_missing: bool
    ) -> ReplicaStatus | _Unread | None:
        """Fill ``report`` for its alias through ``handler``'s connection (the doctor's private one).

        Returns the alias's replica status for the doctor's shared verdict: None
        when it replicates from nowhere, ``UNREAD`` when it could not be read.
        """

    def open(self, handler, report: AliasReport, target: Target) -> bool:
        """Connect ``report``'s alias; a failure becomes the finding that explains it."""
        try:
            handler[report.alias].ensure_connection()
        except ImproperlyConfigured as error:
            report.findings.append(driver_missing(str(error), self.driver_hint))
            return False
        except DatabaseError as error:
            failure = self.connect_error(error)
            finding = explain(self.explanations, failure, target, **self.explanation_extras(failure, target))
            report.findings.append(dataclasses.replace(finding, blocks_connection=True))
            if is_missing_database(self.explanations, failure, target):
                # The server answered; only the database is missing.
                report.reachable, report.database_present = True, False
            return False
        report.reachable = True
        return True

    def open_or_create(self, handler, report: AliasReport, target: Target, create_missing: bool) -> bool:
        """``open``, creating a missing database first where asked (``dbdoctor --create-missing``).

        Only on the aliases that take migrations: a replica receives its
        database by replication, never by the doctor.
        """
        from routing.aliases import migration_aliases

        if self.open(handler, report, target):
            return True
        if report.database_present is False and create_missing and report.alias in migration_aliases():
            self.create_database(handler, report)
            if report.database_present:
                report.findings.clear()
                return self.open(handler, report, target)
        return False

    def create_database(self, handler, report: AliasReport) -> None:
        """Create ``report``'s missing database (in the engine's full-Unicode encoding), noting what happened."""
        report.notes.append(f"the doctor does not create {self.display_name} databases: create it yourself")

    def explanation_extras(self, error: ConnectError, target: Target) -> dict[str, str]:
        """More fields for this engine's explanations, read from the error (or from the server)."""
        return {}

    def replica_finding(self, verdict: Verdict, status: ReplicaStatus | None, max_lag: float) -> Finding:
        problem, fix = self.replica_advice.get(verdict.code, ("{reason}", "Check the replica's server log."))
        fields = {"reason": verdict.reason, "limit": f"{max_lag:.0f}"}
        if status is not None:
            fields.update(
                state=status.state,
                detail=status.detail or status.state,
                last_error=status.last_error or "no error recorded (stopped by hand?)",
                receive_error=status.receive_error or "no error recorded",
                lag="?" if status.lag_seconds is None else f"{status.lag_seconds:.0f}",
                delay=f"{status.delay_seconds:g}",
            )
        return Finding(verdict.code, problem.format(**fields), fix.format(**fields))
