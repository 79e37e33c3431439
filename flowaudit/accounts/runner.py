"""Many accounts in one run: every account's fetch at once (each within its own rate and
concurrency, all together within `max_in_flight`), each load as soon as its fetch is done,
one load at a time.

The fetches share one event loop on a thread of their own, so the main thread loads (and
takes SIGTERM) exactly as a single run does, while the other accounts keep fetching. One
account's failure never stops the others: it is recorded on its run row and in its
outcome; the run's exit code and last line name it (`AccountsOutcome.final_error`)."""

from __future__ import annotations

import asyncio
import queue
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from flowaudit.accounts.file import AccountsPlan
from flowaudit.config import Settings
from flowaudit.errors import (
    DatabaseError,
    DatabaseLockedError,
    FlowauditError,
    RunInProgressError,
    SomeAccountsFailedError,
)
from flowaudit.extract.ratelimit import InFlightCap
from flowaudit.logs import get_logger
from flowaudit.pipeline import (
    DB_LOCK_WAIT_SECONDS,
    RunResult,
    StartedRun,
    Terminated,
    fetch_run,
    is_termination,
    last_successful_observation,
    load_run,
    new_staging_dir,
    record_run_failure,
    remove_leftover_staging,
    run_result,
    sigterm_as_exception,
    start_run,
)
from flowaudit.runlock import RunLock, run_lock

log = get_logger(__name__)

# Failures after which rendering the account's reports would only fight over its database.
_NO_REPORT_AFTER = (RunInProgressError, DatabaseLockedError)


@dataclass
class AccountOutcome:
    """What the run did for one account."""

    settings: Settings
    result: RunResult | None = None
    error: FlowauditError | None = None
    index: Path | None = None  # its reports' index page, when they were rendered

    @property
    def label(self) -> str:
        return self.settings.account

    def summary(self) -> str:
        if self.error is not None:
            return f"account {self.label} failed: {self.error.message}"
        assert self.result is not None
        return f"account {self.label}: {self.result.summary()}"


@dataclass
class AccountsOutcome:
    """What a run of several accounts did: each account's outcome, and the overview page."""

    accounts: list[AccountOutcome]
    overview: Path | None = None
    error: FlowauditError | None = None  # what failed for the run as a whole (the overview)
    seconds: float = 0.0

    def failed(self) -> list[AccountOutcome]:
        return [outcome for outcome in self.accounts if outcome.error is not None]

    def final_error(self) -> FlowauditError | None:
        """The run's error: exit 15 naming the accounts that failed; when every account
        failed for the same kind of reason, that reason's own exit code."""
        failed = self.failed()
        if not failed:
            return self.error
        named = "; ".join(f"{o.label} ({o.error.message})" for o in failed if o.error)
        codes = {o.error.exit_code for o in failed if o.error}
        if len(failed) == len(self.accounts) and len(codes) == 1:
            return FlowauditError(f"every account failed: {named}", exit_code=codes.pop())
        return SomeAccountsFailedError(
            f"{len(failed)} of {len(self.accounts)} accounts failed: {named}"
        )


def extract_accounts(
    plan: AccountsPlan,
    *,
    full: bool = False,
    max_in_flight: int | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    progress: Callable[..., None] | None = None,
    strategy: str = "windows",
    db_lock_wait: float = DB_LOCK_WAIT_SECONDS,
    wall_clock: Callable[[], datetime] | None = None,
) -> list[AccountOutcome]:
    """Extract every account of the plan; never raises for one account's failure.

    transports: per account label, for tests (the simulator in-process)."""
    clock = wall_clock or (lambda: datetime.now(UTC))
    cap = max_in_flight or plan.accounts[0].max_in_flight
    outcomes = {settings.account: AccountOutcome(settings) for settings in plan.accounts}
    try:
        with ExitStack() as stack, sigterm_as_exception() as termination:
            locks = _take_run_locks(plan, outcomes, stack)
            started = _start_runs(plan, outcomes, locks, full, clock, db_lock_wait, termination)
            jobs = _FetchJobs(started, transports or {}, progress, strategy, clock)
            _fetch_and_load(jobs, cap, outcomes, termination, db_lock_wait)
    except Terminated:
        raise KeyboardInterrupt from None
    return list(outcomes.values())


def _take_run_locks(
    plan: AccountsPlan, outcomes: dict[str, AccountOutcome], stack: ExitStack
) -> dict[Path, RunLock]:
    """One run lock per database file: a shared database's lock is the whole run's."""
    if plan.db_per_account is not None:
        try:
            plan.db_per_account.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"cannot create the database folder {plan.db_per_account}: {exc.strerror or exc}"
            ) from None
    locks: dict[Path, RunLock] = {}
    for db in plan.databases:
        try:
            locks[db] = stack.enter_context(run_lock(db))
        except RunInProgressError as exc:
            if plan.db_per_account is None:
                raise
            for settings in plan.accounts:
                if settings.db == db:
                    _fail(outcomes[settings.account], exc)
    return locks


def _start_runs(plan, outcomes, locks, full, clock, db_lock_wait, termination) -> list[StartedRun]:
    started: list[StartedRun] = []
    try:
        for settings in plan.accounts:
            outcome = outcomes[settings.account]
            if outcome.error is not None:
                continue
            try:
                token = settings.require_token()
                started.append(start_run(settings, token, locks[settings.db], full=full, clock=clock,
                                         db_lock_wait=db_lock_wait, log_prefix=f"account {settings.account}: "))  # fmt: skip
            except FlowauditError as exc:
                _fail(outcome, exc)
        for db in dict.fromkeys(run.settings.db for run in started):
            remove_leftover_staging(db)
    except BaseException as exc:
        # SIGTERM while other accounts' runs were being recorded: they are failed runs too.
        for run in started:
            record_run_failure(run, exc, termination, db_lock_wait)
        raise
    return started


def _fail(outcome: AccountOutcome, error: FlowauditError) -> None:
    outcome.error = error
    log.error("account %s failed: %s", outcome.label, error.message)


@dataclass
class _FetchJobs:
    """The started runs and what each needs to fetch."""

    runs: list[StartedRun]
    transports: Mapping[str, httpx.AsyncBaseTransport]
    progress: Callable[..., None] | None
    strategy: str
    clock: Callable[[], datetime]
    staging: dict[str, Path] = field(default_factory=dict)

    def coroutine_for(self, run: StartedRun) -> Callable[[InFlightCap], Awaitable[dict[str, Any]]]:
        label = run.settings.account
        progress = _labelled(self.progress, label) if self.progress else None

        def fetch(cap: InFlightCap) -> Awaitable[dict[str, Any]]:
            return fetch_run(
                run, self.staging[label], transport=self.transports.get(label),
                progress=progress, strategy=self.strategy, clock=self.clock, shared_cap=cap,
            )  # fmt: skip

        return fetch


def _fetch_and_load(jobs: _FetchJobs, cap: int, outcomes, termination, db_lock_wait) -> None:
    pending = {run.settings.account: run for run in jobs.runs}
    if not pending:
        return
    fetcher = _ConcurrentFetch(cap)
    try:
        for run in jobs.runs:
            jobs.staging[run.settings.account] = new_staging_dir(run.settings.db)
        fetcher.start({label: jobs.coroutine_for(run) for label, run in pending.items()})
        while pending:
            label, manifest, error, fetch_seconds = fetcher.next_result()
            run = pending.pop(label)
            try:
                if error is not None:
                    raise error
                load_started = time.monotonic()
                counts = load_run(run, jobs.staging[label], db_lock_wait=db_lock_wait)
                result = run_result(
                    run, manifest, counts, fetch_seconds, time.monotonic() - load_started
                )
            except BaseException as exc:
                failure = record_run_failure(run, exc, termination, db_lock_wait)
                if is_termination(failure):
                    raise
                _fail(
                    outcomes[label],
                    failure
                    if isinstance(failure, FlowauditError)
                    else FlowauditError(str(failure)),
                )
                log.debug("account %s: what ended its run", label, exc_info=exc)
            else:
                outcomes[label].result = result
                log.info("account %s: %s", label, result.summary())
            finally:
                shutil.rmtree(jobs.staging.pop(label), ignore_errors=True)
    except BaseException as exc:
        # SIGTERM, Ctrl-C (or a bug) while other accounts were still fetching: stop them,
        # and record each of their runs as failed before the process exits.
        fetcher.stop()
        for run in pending.values():
            record_run_failure(run, exc, termination, db_lock_wait)
        raise
    finally:
        fetcher.stop()
        for path in jobs.staging.values():
            shutil.rmtree(path, ignore_errors=True)


def _labelled(progress: Callable[..., None], label: str) -> Callable[[tuple], None]:
    """Progress events of one account, told apart from the others' by its label."""

    def report(event: tuple) -> None:
        if len(event) == 3:
            progress((event[0], f"{label} {event[1]}", event[2]))
        else:
            progress((f"{label} {event[0]}", *event[1:]))

    return report


class _ConcurrentFetch:
    """Every account's fetch in one event loop on a thread of its own; the results come out
    in the order the fetches end."""

    def __init__(self, max_in_flight: int):
        self.max_in_flight = max_in_flight
        self.cap: InFlightCap | None = None
        self._results: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task | None = None
        self._stopping = False

    def start(self, jobs: dict[str, Callable[[InFlightCap], Awaitable[dict[str, Any]]]]) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(jobs,), name="flowaudit-fetch", daemon=True
        )
        self._thread.start()

    def next_result(self) -> tuple[str, dict[str, Any] | None, BaseException | None, float]:
        """(label, manifest, error, fetch seconds) of the next fetch to end."""
        while True:
            # A timeout, so that SIGTERM and Ctrl-C reach the main thread promptly.
            try:
                return self._results.get(timeout=0.2)
            except queue.Empty:
                if (
                    self._thread is not None
                    and not self._thread.is_alive()
                    and self._results.empty()
                ):
                    raise RuntimeError(
                        "the fetch thread ended before every account's fetch did"
                    ) from None

    def stop(self) -> None:
        """Cancel the fetches still running and wait for the thread to end."""
        with self._lock:
            self._stopping = True
            if self._loop is not None and self._main is not None:
                self._loop.call_soon_threadsafe(self._main.cancel)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=60)

    def _run(self, jobs) -> None:
        with suppress(asyncio.CancelledError):
            asyncio.run(self._all(jobs))

    async def _all(self, jobs) -> None:
        with self._lock:
            if self._stopping:
                return
            self._loop = asyncio.get_running_loop()
            self._main = asyncio.current_task()
        self.cap = InFlightCap(self.max_in_flight)
        try:
            await asyncio.gather(*(self._one(label, fetch) for label, fetch in jobs.items()))
        finally:
            with self._lock:  # the loop closes after this: nothing may be scheduled on it
                self._loop = self._main = None

    async def _one(self, label: str, fetch) -> None:
        started = time.monotonic()
        try:
            manifest = await fetch(self.cap)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # handed to the main thread, which records the run failed
            self._results.put((label, None, exc, time.monotonic() - started))
            return
        self._results.put((label, manifest, None, time.monotonic() - started))


def run_accounts(
    plan: AccountsPlan,
    *,
    full: bool = False,
    max_in_flight: int | None = None,
    export_dir: Path | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    progress: Callable[..., None] | None = None,
    wall_clock: Callable[[], datetime] | None = None,
    now: datetime | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
) -> AccountsOutcome:
    """Extract every account, send each account's digest and render its reports (a failed
    one's marked stale, its digest saying so), the cross-account overview, and (export_dir)
    the Parquet lake of the accounts that succeeded."""
    from flowaudit.notify.send import notify_after_run
    from flowaudit.report.overview_page import AccountEntry, render_overview
    from flowaudit.report.render import render_reports

    started = time.monotonic()
    outcomes = extract_accounts(plan, full=full, max_in_flight=max_in_flight, transports=transports,
                                progress=progress, wall_clock=wall_clock)  # fmt: skip
    for outcome in outcomes:
        settings = outcome.settings
        if isinstance(outcome.error, _NO_REPORT_AFTER) or not settings.db.exists():
            continue
        # As `flowaudit run` does for one account: the digest first (the overview shows what
        # was sent), then the reports it links to. A failed send never fails the account.
        notify_after_run(settings, webhook_transport=webhook_transport)
        stale_since = None if outcome.error is None else last_successful_observation(settings)
        try:
            outcome.index = render_reports(
                settings.db, settings.out, settings, stale_since=stale_since, now=now
            )
        except FlowauditError as exc:
            # The extract's failure, if any, is the account's news; a report failure otherwise.
            if outcome.error is None:
                _fail(outcome, exc)
    if export_dir is not None:
        _export(outcomes, export_dir)
    result = AccountsOutcome(outcomes)
    try:
        entries = [
            AccountEntry(
                o.label, o.settings.db, o.settings.out, o.error.message if o.error else None
            )
            for o in outcomes
        ]
        result.overview = render_overview(
            plan.out, entries, templates_dir=plan.accounts[0].templates_dir, now=now
        )
    except FlowauditError as exc:
        log.error("the overview page could not be written: %s", exc.message)
        result.error = exc
    result.seconds = time.monotonic() - started
    return result


def _export(outcomes: list[AccountOutcome], export_dir: Path) -> None:
    """The accounts that succeeded tonight into the lake, one export per database."""
    from flowaudit.lake.export import export_lake

    by_db: dict[Path, list[AccountOutcome]] = {}
    for outcome in outcomes:
        if outcome.error is None:
            by_db.setdefault(outcome.settings.db, []).append(outcome)
    for db, group in by_db.items():
        try:
            export_lake(db, export_dir, accounts=[o.label for o in group])
        except FlowauditError as exc:
            for outcome in group:
                _fail(outcome, FlowauditError(f"export: {exc.message}", exit_code=exc.exit_code))
