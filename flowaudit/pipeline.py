"""A run of the nightly job's first half: begin (database) -> fetch (network only, no
database lock held) -> load (one transaction) -> finish.

The database is opened only for the two short moments that need it, so readers
(`flowaudit sql`, a notebook) are locked out for the load alone. A run that fails or is
killed leaves the previous state whole; the next start records it as failed. Whatever
ends a run early (an error of any kind, SIGTERM, Ctrl-C) is recorded on its run row before
the process exits; the fetch has a deadline (`max_run_minutes`).

A stored audit watermark later than this machine's clock allows (left by a run that
trusted a server clock far ahead) is not trusted: the run re-reads the audit log from its
newest stored record (minus the overlap), and its run row says so."""

from __future__ import annotations

import asyncio
import glob
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import httpx

from flowaudit import __version__
from flowaudit.audit_trail.rules import RuleSet, store_rules
from flowaudit.config import Settings
from flowaudit.errors import (
    ApiUnavailableError,
    DatabaseError,
    DatabaseLockedError,
    FlowauditError,
    RunInProgressError,
)
from flowaudit.extract.client import ApiClient
from flowaudit.extract.fetch import fetch_account
from flowaudit.extract.jobs import JobsRequest
from flowaudit.extract.ratelimit import InFlightCap
from flowaudit.load.db import connect, describe_duckdb_error
from flowaudit.load.jobs import jobs_plan
from flowaudit.load.loader import load_staging
from flowaudit.load.migrations import migrate
from flowaudit.load.runs import (
    audit_watermark,
    begin_run,
    fail_run,
    known_scripts,
    newest_audit_record,
)
from flowaudit.logs import get_logger
from flowaudit.runlock import RunLock, run_lock
from flowaudit.secrets import Secret, scrub

if TYPE_CHECKING:
    from flowaudit.attention import Night
    from flowaudit.notify.send import Outcome

log = get_logger(__name__)

# How long a run waits for readers (who hold the file's lock) before giving up.
DB_LOCK_WAIT_SECONDS = 300.0


@dataclass
class RunResult:
    """What one extract run did; printed as the run's summary line."""

    run_id: int
    mode: str
    status: str
    seconds: float
    counts: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    observed_at: str | None = None
    fetch_seconds: float = 0.0
    load_seconds: float = 0.0
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        c = self.counts
        invalid = int(self.manifest.get("invalid_text") or 0)
        notes = f"; {invalid} invalid character(s) replaced by U+FFFD" if invalid else ""
        scrubbed = self.manifest.get("scrubbed") or {}
        captured, secrets = scrubbed.get("captured_fields", 0), scrubbed.get("secrets_masked", 0)
        if captured or secrets:
            notes += (
                f"; {captured} captured field(s) replaced by their hash, "
                f"{secrets} secret-looking value(s) masked"
            )
        clock = self.manifest.get("clock") or {}
        if clock.get("bounded"):
            notes += f"; the API's clock ran {clock.get('skew_seconds')} s ahead (observation time bounded)"
        return (
            f"run {self.run_id} ({self.mode}) {self.status}: "
            f"{c.get('flows', 0)} flows, {c.get('new_audit_records', 0)} new audit records, "
            f"{c.get('new_versions', 0)} new versions, {c.get('deleted', 0)} deleted; "
            f"{self.requests} requests, {self.retries} retries in {self.seconds:.1f}s{notes}"
        )


class _Terminated(Exception):
    """SIGTERM (cron timeout, systemd stop) arrived: end the run as failed, cleanly."""


class _Termination:
    """Whether SIGTERM arrived. DuckDB turns the handler's exception into its own
    "interrupted" error (or a RuntimeError) when the signal lands inside a query, so the
    flag, not the exception's type, says the run was terminated."""

    def __init__(self) -> None:
        self.requested = False

    def handler(self, signum, frame) -> None:
        if not self.requested:  # a second SIGTERM must not interrupt the cleanup
            self.requested = True
            raise _Terminated()


@contextmanager
def _sigterm_as_exception() -> Iterator[_Termination]:
    termination = _Termination()
    try:
        previous = signal.signal(signal.SIGTERM, termination.handler)
    except ValueError:  # not the main thread (tests): leave signals alone
        yield termination
        return
    try:
        yield termination
    finally:
        signal.signal(signal.SIGTERM, previous)


# The same rules for a run of several accounts (flowaudit.accounts.runner).
sigterm_as_exception = _sigterm_as_exception
Terminated = _Terminated


def run_extract(
    settings: Settings,
    *,
    full: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Callable[..., None] | None = None,
    strategy: str = "windows",
    db_lock_wait: float = DB_LOCK_WAIT_SECONDS,
    wall_clock: Callable[[], datetime] | None = None,
) -> RunResult:
    """Extract the account into settings.db; raise a FlowauditError if the run failed.

    wall_clock is this machine's clock (aware UTC; tests pass a simulated one)."""
    token = settings.require_token()
    try:
        return _run_extract(settings, token, full, transport, progress, strategy, db_lock_wait,
                            wall_clock or (lambda: datetime.now(UTC)))  # fmt: skip
    except _Terminated:
        # Before the run was recorded (or after): nothing to mark; still exit 130.
        raise KeyboardInterrupt from None


def _run_extract(settings, token, full, transport, progress, strategy, db_lock_wait, clock) -> RunResult:
    db_path = settings.db
    with run_lock(db_path) as lock, _sigterm_as_exception() as termination:
        run = start_run(settings, token, lock, full=full, clock=clock, db_lock_wait=db_lock_wait)
        remove_leftover_staging(db_path)
        staging_root = new_staging_dir(db_path)
        try:
            try:
                fetch_started = time.monotonic()
                manifest = asyncio.run(
                    fetch_run(run, staging_root, transport=transport, progress=progress,
                              strategy=strategy, clock=clock)
                )  # fmt: skip
                load_started = time.monotonic()
                counts = load_run(run, staging_root, db_lock_wait=db_lock_wait)
                load_finished = time.monotonic()
            except BaseException as exc:
                failure = record_run_failure(run, exc, termination, db_lock_wait)
                if isinstance(failure, _Terminated | KeyboardInterrupt):
                    raise KeyboardInterrupt from None
                if isinstance(failure, _InternalFailure):
                    raise  # a bug: the CLI reports it (with its traceback under FLOWAUDIT_DEBUG)
                raise failure from None
        finally:
            shutil.rmtree(staging_root, ignore_errors=True)

    result = run_result(run, manifest, counts, load_started - fetch_started, load_finished - load_started)
    log.info("%s", result.summary())
    return result


@dataclass
class StartedRun:
    """A run recorded as `running` in its database, about to fetch."""

    settings: Settings
    token: Secret
    run_id: int
    mode: str
    watermark: datetime | None
    started: float  # time.monotonic() when it began
    jobs: Any = None  # where its reading of jobs starts (load.jobs.jobs_plan)
    scripts: dict[str, str] = field(default_factory=dict)  # scripts whose code the store holds


def start_run(
    settings: Settings,
    token: Secret,
    lock: RunLock,
    *,
    full: bool,
    clock: Callable[[], datetime],
    db_lock_wait: float = DB_LOCK_WAIT_SECONDS,
    log_prefix: str = "",
) -> StartedRun:
    """Migrate the database, read the watermark and record a `running` run of
    settings.account (the caller holds the database's run lock)."""
    started = time.monotonic()
    con = connect(settings.db, wait_seconds=db_lock_wait)
    try:
        lock.hold_file()  # the file exists now, even if this run created it
        migrate(con, volatile_fields=settings.volatile_fields, scrub_policy=settings.scrub_policy)
        store_rules(con, settings.account, RuleSet.from_settings(settings))
        watermark, distrusted = _trusted_watermark(con, settings, full, clock)
        jobs = _jobs_plan(con, settings, full, clock)
        mode = "full" if watermark is None else "incremental"
        # A full run reads every script's code again; a nightly one only what moved.
        scripts = {} if full else known_scripts(con, settings.account)
        run_id = begin_run(con, settings.account, mode, __version__, distrusted_watermark=distrusted)
    finally:
        con.close()
    log.info("%srun %s started (%s) against %s", log_prefix, run_id, mode, settings.api_url)
    return StartedRun(settings, token, run_id, mode, watermark, started, jobs, scripts)


async def fetch_run(
    run: StartedRun,
    staging_root: Path,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Callable[..., None] | None = None,
    strategy: str = "windows",
    clock: Callable[[], datetime],
    shared_cap: InFlightCap | None = None,
) -> dict[str, Any]:
    """The run's fetch into staging_root (network only); its manifest."""
    jobs = run.jobs
    request = JobsRequest(jobs.since, jobs.jobs_per_hour, jobs.known_errors) if jobs is not None else None
    return await _fetch(run.settings, run.token, transport, staging_root, run.watermark, progress,
                        strategy, clock, run.scripts, request, shared_cap)  # fmt: skip


def load_run(run: StartedRun, staging_root: Path, *, db_lock_wait: float = DB_LOCK_WAIT_SECONDS) -> dict[str, Any]:
    """Load the run's staging area into its database (one transaction); the load's counts."""
    con = connect(run.settings.db, wait_seconds=db_lock_wait, file_access=[staging_root])
    try:
        return load_staging(
            con, staging_root, run.run_id, volatile_fields=run.settings.volatile_fields,
            jobs_watermark_distrusted=run.jobs is not None and run.jobs.distrusted is not None,
        )  # fmt: skip
    finally:
        con.close()


def record_run_failure(
    run: StartedRun, exc: BaseException, termination: _Termination, db_lock_wait: float
) -> BaseException:
    """Mark the run failed with what ended it; return that as the error to report (a
    FlowauditError, _Terminated, KeyboardInterrupt, or _InternalFailure for a bug)."""
    failure = _as_failure(exc, termination, run.settings.db)
    _record_failure(run.settings.db, run.run_id, failure, db_lock_wait)
    return failure


def is_termination(failure: BaseException) -> bool:
    """Whether a failure from record_run_failure means the process must stop (exit 130)."""
    return isinstance(failure, _Terminated | KeyboardInterrupt)


def run_result(
    run: StartedRun, manifest: dict[str, Any], counts: dict[str, Any], fetch_seconds: float, load_seconds: float
) -> RunResult:
    """The summary of a run that succeeded."""
    return RunResult(
        run_id=run.run_id,
        mode=run.mode,
        status="succeeded",
        seconds=time.monotonic() - run.started,
        counts=dict(counts),
        requests=int(manifest.get("requests", 0)),
        retries=int(manifest.get("retries", 0)),
        observed_at=manifest.get("observed_at"),
        fetch_seconds=fetch_seconds,
        load_seconds=load_seconds,
        manifest=manifest,
    )


def _trusted_watermark(
    con: duckdb.DuckDBPyConnection, settings: Settings, full: bool, clock: Callable[[], datetime]
) -> tuple[datetime | None, datetime | None]:
    """(the watermark to read from, a stored watermark that was not trusted)."""
    if full:
        return None, None
    watermark = audit_watermark(con, settings.account)
    limit = clock().astimezone(UTC) + timedelta(
        seconds=settings.clock_tolerance_seconds
    )
    if watermark is None or watermark <= limit:
        return watermark, None
    newest = newest_audit_record(con, settings.account)
    log.warning(
        "the stored audit watermark %s is later than this machine's clock allows (a run trusted "
        "a server clock far ahead): not trusted; re-reading the audit log %s",
        f"{watermark:%Y-%m-%d %H:%M:%S}",
        "from the beginning" if newest is None else f"from its newest stored record ({newest:%Y-%m-%d %H:%M:%S}) on",
    )
    return newest, watermark


def _jobs_plan(con: duckdb.DuckDBPyConnection, settings: Settings, full: bool, clock: Callable[[], datetime]):
    """Where this run's reading of jobs starts (pipeline docstring: a watermark in the future
    is not trusted, as for the audit log)."""
    limit = clock().astimezone(UTC) + timedelta(seconds=settings.clock_tolerance_seconds)
    plan = jobs_plan(con, settings.account, overlap=timedelta(hours=settings.jobs_overlap_hours),
                     latest_trusted=limit, full=full)  # fmt: skip
    if plan.distrusted is not None:
        log.warning(
            "the stored jobs watermark %s is later than this machine's clock allows: not trusted; "
            "re-reading jobs %s", f"{plan.distrusted:%Y-%m-%d %H:%M:%S}",
            "from the beginning" if plan.since is None else f"from {plan.since:%Y-%m-%d %H:%M:%S} on",
        )  # fmt: skip
    return plan


def _as_failure(exc: BaseException, termination: _Termination, db_path: Path) -> BaseException:
    """What ended the run, as the error to record and raise (never a bare library error)."""
    if termination.requested:
        return _Terminated()
    if isinstance(exc, FlowauditError | KeyboardInterrupt):
        return exc
    if isinstance(exc, duckdb.Error):
        return DatabaseError(describe_duckdb_error(db_path, exc))
    if isinstance(exc, OSError):
        reason = exc.strerror or exc.__class__.__name__
        where = f" ({exc.filename})" if exc.filename else ""
        return DatabaseError(f"file system error{where}: {reason}")
    if isinstance(exc, Exception):
        return _InternalFailure(exc)
    return exc


class _InternalFailure(FlowauditError):
    """A bug in flowaudit ended the run: recorded on its row, then reported as exit 1."""

    def __init__(self, exc: BaseException):
        super().__init__(f"internal error: {exc.__class__.__name__}: {scrub(str(exc))}")
        self.original = exc


def remove_leftover_staging(db_path: Path) -> None:
    """Remove the staging directories that a killed run of this database left behind (safe:
    the caller holds this database's run lock, and has made none of its own yet)."""
    prefix = f".flowaudit-staging-{db_path.name}-"
    # mkdtemp's suffix is 8 characters: so another database's prefix (a longer name) never matches.
    leftover = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}")
    for path in db_path.parent.glob(f"{glob.escape(prefix)}*"):
        if leftover.fullmatch(path.name) and path.is_dir():
            log.info("removing the staging directory of an interrupted run: %s", path.name)
            shutil.rmtree(path, ignore_errors=True)


def new_staging_dir(db_path: Path) -> Path:
    """A new staging directory beside the database."""
    return Path(tempfile.mkdtemp(prefix=f".flowaudit-staging-{db_path.name}-", dir=db_path.parent))


async def _fetch(settings, token, transport, staging_root, watermark, progress, strategy, clock, scripts,
                 jobs=None, shared_cap=None):  # fmt: skip
    async with ApiClient(
        settings.api_url,
        token,
        transport=transport,
        timeout=settings.timeout,
        rate=settings.rate,
        concurrency=settings.concurrency,
        max_attempts=settings.max_attempts,
        wall_clock=clock,
        max_body_bytes=int(settings.max_response_mb * 1_048_576),
        shared_cap=shared_cap,
    ) as client:
        seconds = settings.max_run_minutes * 60
        client.deadline = time.monotonic() + seconds
        client.deadline_message = (
            f"the fetch did not finish within {settings.max_run_minutes:g} minutes "
            "(max_run_minutes); nothing was loaded"
        )
        try:
            async with asyncio.timeout(seconds):
                return await fetch_account(
                    client,
                    staging_root,
                    account=settings.account,
                    audit_since=watermark,
                    overlap=timedelta(hours=settings.audit_overlap_hours),
                    strategy=strategy,
                    progress=progress,
                    clock_tolerance=timedelta(seconds=settings.clock_tolerance_seconds),
                    jobs=jobs,
                    known_scripts=scripts,
                    scrub_policy=settings.scrub_policy,
                )
        except TimeoutError:
            raise ApiUnavailableError(client.deadline_message) from None


def _record_failure(db_path: Path, run_id: int, exc: BaseException, wait: float) -> None:
    if isinstance(exc, FlowauditError):
        message = exc.message
    elif isinstance(exc, _Terminated):
        message = "terminated (SIGTERM)"
    else:
        message = "interrupted"
    try:
        con = connect(db_path, wait_seconds=wait)
        try:
            fail_run(con, run_id, scrub(message))
        finally:
            con.close()
    except FlowauditError as db_exc:
        # The next start marks a still-running run as failed anyway.
        log.warning("could not record the failure of run %s: %s", run_id, db_exc.message)
    except (duckdb.Error, OSError) as db_exc:
        log.warning("could not record the failure of run %s: %s", run_id, describe_duckdb_error(db_path, db_exc))


@dataclass
class NightlyOutcome:
    """What `flowaudit run` did: the extract's result or error, and the index it rendered."""

    result: RunResult | None
    error: FlowauditError | None
    index: Path | None
    night: Night | None = None  # the verdict and what needs attention (flowaudit.attention)
    notices: list[Outcome] = field(default_factory=list)  # what the digest did


# Failures after which rendering would only fight over the same database.
_NO_REPORT_AFTER = (RunInProgressError, DatabaseLockedError)


def run_nightly(
    settings: Settings,
    *,
    full: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Callable[..., None] | None = None,
    export_dir: Path | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
) -> NightlyOutcome:
    """Extract, send the digest, then render the reports; a failed extract still renders
    them, marked stale (and the digest says it failed). After a successful extract,
    export_dir receives the account's Parquet lake."""
    from flowaudit.notify.send import notify_after_run
    from flowaudit.report.render import render_reports

    try:
        result = run_extract(settings, full=full, transport=transport, progress=progress)
        error = None
    except FlowauditError as exc:
        result, error = None, exc
        log.error("extract failed: %s", exc.message)
        if isinstance(exc, _NO_REPORT_AFTER) or not settings.db.exists():
            return NightlyOutcome(None, exc, None)

    # The digest first (sending is recorded, and the overview shows what was sent), then
    # the reports it links to.
    night, notices = notify_after_run(settings, webhook_transport=webhook_transport)
    stale_since = None if error is None else last_successful_observation(settings)
    try:
        index = render_reports(settings.db, settings.out, settings, stale_since=stale_since,
                               baseline=settings.baseline)  # fmt: skip
    except FlowauditError as exc:
        # The extract's failure, if any, is the news of the night; a report failure otherwise.
        return NightlyOutcome(result, error or exc, None, night, notices)
    if export_dir is not None and error is None:
        from flowaudit.lake.export import export_lake

        try:
            export_lake(settings.db, export_dir, accounts=[settings.account])
        except FlowauditError as exc:
            return NightlyOutcome(result, exc, index, night, notices)
    return NightlyOutcome(result, error, index, night, notices)


def last_successful_observation(settings: Settings) -> datetime | None:
    """When the data of the last successful run of settings.account was observed (UTC)."""
    con = connect(settings.db, read_only=True, wait_seconds=DB_LOCK_WAIT_SECONDS)
    try:
        rows = con.execute(
            "SELECT max(observed_at) FROM runs WHERE account = ? AND status = 'succeeded'",
            [settings.account],
        ).fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return rows[0][0] if rows else None
