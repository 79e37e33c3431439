"""Fetch one account into a staging area: every listing of the resource registry, the
recycle bin and the audit log, in parallel.

Network only (no database): every listing is paged to its end (complete = its last page
was reached), the audit log is read whole or from `audit_since - overlap` up to the
observation time, and the manifest records what was read, page by page and window by
window. A failed fetch raises and leaves no manifest. A listing of an `optional` type that
the token may not read (403) or the API does not have (404) is recorded as unavailable
(incomplete), not a failure. Scripts' code (`content`) is read by id, only for scripts the
store does not already hold at the listed `lastModified` (`known_scripts`, what the store
knows: passed in, never read from the database here). Everything staged is scrubbed first
(flowaudit.documents.scrub).

The observation time ends the audit reading: it is taken once every listing has finished,
one second after the latest server `Date` seen (`Date` has whole seconds, so a change made in
the second of the last listing page is inside), but never later than this machine's clock
plus `clock_tolerance` (a server clock far ahead must not move the watermark past what was
read). The audit windows planned from the first answer's `Date` are read in parallel with
the listings; one more "tail" window reaches from their end to the observation time."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flowaudit import __version__
from flowaudit.documents.scrub import Scrubber, ScrubPolicy
from flowaudit.errors import FlowauditError, UsageError
from flowaudit.extract.client import ApiClient
from flowaudit.extract.jobs import (
    FlowErrorCounts,
    JobPager,
    JobsRequest,
    JobWindow,
    flow_error_summary,
    plan_job_windows,
    same_error_state,
)
from flowaudit.extract.paging import (
    MAX_AUDIT_PAGES,
    MAX_LISTING_PAGES,
    PagedResult,
    follow_pages,
    recycle_bin_entry_id,
)
from flowaudit.extract.ratelimit import first_served
from flowaudit.extract.retry import ForbiddenError, NotFoundError
from flowaudit.extract.staging import LISTING_KINDS, StagingArea
from flowaudit.extract.windows import AuditWindow, api_time, plan_windows, to_millisecond
from flowaudit.logs import get_logger
from flowaudit.registry import BY_LISTING, ResourceType

log = get_logger(__name__)

PAGE_LIMIT = 1000  # the API's largest page
RECYCLE_BIN_PATH = "recycleBinTTL"  # resources deleted within the last 30 days
DEFAULT_CLOCK_TOLERANCE = timedelta(minutes=5)
# The API's `Date` has whole seconds: anything made in its last second is before this.
DATE_RESOLUTION = timedelta(seconds=1)
STRATEGIES = ("windows", "per-flow")
# Audit resource types other than flows, read account-wide by the per-flow strategy
# (the documented `resourceType` values of GET /v1/audit).
NON_FLOW_AUDIT_TYPES = (
    "accesstoken", "agent", "api", "asynchelper", "connection", "ediprofile", "environment",
    "export", "filedefinition", "iclient", "import", "integration", "lookupcache",
    "notification", "revision", "script", "ssoclient", "stack", "user",
)  # fmt: skip

_PER_FLOW_GAP = (
    "per-flow: records of flows deleted before the listing are not read "
    "(they are no longer listed, so their /flows/<id>/audit is never asked for)"
)

Progress = Callable[[tuple[Any, ...]], None]


async def fetch_account(
    client: ApiClient,
    staging_dir: Path,
    *,
    account: str = "default",
    audit_since: datetime | None = None,
    overlap: timedelta = timedelta(0),
    strategy: str = "windows",
    progress: Progress | None = None,
    clock_tolerance: timedelta = DEFAULT_CLOCK_TOLERANCE,
    max_listing_pages: int = MAX_LISTING_PAGES,
    max_audit_pages: int = MAX_AUDIT_PAGES,
    jobs: JobsRequest | None = None,
    known_scripts: Mapping[str, str] | None = None,
    scrub_policy: ScrubPolicy | None = None,
) -> dict[str, Any]:
    """Fetch the account into staging_dir; return the manifest (also written there).

    jobs: also read flow jobs and open-error summaries (extract/jobs.py); None: not.
    known_scripts: script id -> the `lastModified` of the script document the store holds
    with its code; those scripts' code is not read again while their lastModified stays."""
    if strategy not in STRATEGIES:
        raise UsageError(
            f"unknown audit strategy {strategy!r} (choose from: {', '.join(STRATEGIES)})"
        )
    since = None if audit_since is None else _as_utc(audit_since) - overlap
    requests_before, retries_before = client.requests, client.retries
    invalid_before = client.invalid_text
    statuses_before = Counter(client.by_status)
    client.reset_observation()
    scrubber = Scrubber(scrub_policy or ScrubPolicy())
    with StagingArea(Path(staging_dir), scrubber) as staging, _cyclic_gc_paused():
        run = _AccountFetch(
            client, staging, progress or _no_progress, clock_tolerance,
            max_listing_pages=max_listing_pages, max_audit_pages=max_audit_pages, jobs=jobs,
            known_scripts=known_scripts or {},
        )  # fmt: skip
        listings, audit, job_part = await run.everything(since, strategy)
        assert run.observed_at is not None
        manifest = {
            "account": account,
            "api_url": str(client.base_url),
            "observed_at": api_time(run.observed_at),
            "clock": run.clock,
            "flowaudit_version": __version__,
            "listings": listings,
            "recycle_bin": run.recycle_bin,
            "audit": audit,
            **({"jobs": job_part} if job_part is not None else {}),
            "script_content": run.script_counts,
            "scrubbed": scrubber.counts.as_dict(),
            "invalid_text": client.invalid_text - invalid_before,
            "requests": client.requests - requests_before,
            "retries": client.retries - retries_before,
            "by_status": {
                str(status): count
                for status, count in sorted((client.by_status - statuses_before).items())
            },
        }
        staging.write_manifest(manifest)
    return manifest


_gc_pauses = {"fetches": 0, "was_enabled": False}


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Each page parses into ~10,000 short-lived containers; the cyclic collector, triggered
    by those allocations, rescans every live object again and again and doubled the parse
    time. Pages hold no reference cycles (freed by reference counting), so pause it.
    Several accounts fetched at once share the pause: the last one to end restores it."""
    if _gc_pauses["fetches"] == 0:
        _gc_pauses["was_enabled"] = gc.isenabled()
        gc.disable()
    _gc_pauses["fetches"] += 1
    try:
        yield
    finally:
        _gc_pauses["fetches"] -= 1
        if _gc_pauses["fetches"] == 0 and _gc_pauses["was_enabled"]:
            gc.enable()


def _duration(seconds: int) -> str:
    days, rest = divmod(abs(seconds), 86_400)
    text = f"{days} day(s) {rest // 3600}h{rest % 3600 // 60:02d}m" if days else (
        f"{rest // 3600}h{rest % 3600 // 60:02d}m{rest % 60:02d}s"
    )
    return text if seconds >= 0 else f"-{text}"


def _as_utc(moment: datetime) -> datetime:
    # A naive time (a caller's) is UTC, like every time flowaudit keeps.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _no_progress(event: tuple[Any, ...]) -> None:
    return None


class _AccountFetch:
    """The state of one fetch: the staging files, flow ids seen, the observation time."""

    def __init__(self, client: ApiClient, staging: StagingArea, progress: Progress,
                 clock_tolerance: timedelta, *, max_listing_pages: int, max_audit_pages: int,
                 known_scripts: Mapping[str, str], jobs: JobsRequest | None = None):  # fmt: skip
        self.client = client
        self.known_scripts = known_scripts
        self.script_counts = {"content_requests": 0, "content_unchanged": 0, "deleted_during_fetch": 0}
        self.recycle_bin: dict[str, Any] = {}
        self.staging = staging
        self.progress = progress
        self.tolerance = clock_tolerance
        self.max_listing_pages = max_listing_pages
        self.max_audit_pages = max_audit_pages
        self.flow_ids: list[str] = []
        self.flows_listed = asyncio.Event()
        self.listings_done = asyncio.Event()
        self.observed_at: datetime | None = None
        self.clock: dict[str, Any] = {}
        self.jobs = jobs
        self.error_counts = FlowErrorCounts()
        self.observed = asyncio.Event()

    async def everything(self, since: datetime | None, strategy: str) -> tuple[dict, dict, dict | None]:
        parts = [self.listings(), self.audit(since, strategy)]
        if self.jobs is not None:
            parts.append(self.job_part(self.jobs))
        listings, audit, *job_part = await run_together(parts)
        return dict(zip(LISTING_KINDS, listings, strict=True)), audit, (job_part or [None])[0]

    async def listings(self) -> list[dict[str, Any]]:
        try:
            # Their pages follow one another: the longest listing is the run's critical path.
            with first_served():
                *found, self.recycle_bin = await run_together(
                    [*(self.listing(kind) for kind in LISTING_KINDS), self.recycle_bin_listing()]
                )
            return found
        finally:
            self.listings_done.set()

    # -- the clock ----------------------------------------------------------------------

    def bounded(self, server_time: datetime) -> tuple[datetime, bool]:
        """server_time, but no later than this machine's clock plus the tolerance."""
        limit = to_millisecond(self.client.local_now() + self.tolerance)
        return (limit, True) if server_time > limit else (server_time, False)

    def observe(self, planned_end: datetime, planned_bounded: bool) -> datetime:
        """The observation time, once every listing is done (see the module's docstring)."""
        local = to_millisecond(self.client.local_now())
        latest = self.client.server_latest
        observed, bounded = self.bounded(local if latest is None else latest + DATE_RESOLUTION)
        observed = max(observed, planned_end)  # never before what the planned windows read
        skew = 0 if latest is None else round((latest - local).total_seconds())
        first = self.client.server_first
        self.clock = {
            "server_first": None if latest is None or first is None else api_time(first),
            "server_last": None if latest is None else api_time(latest),
            "local": api_time(local),
            "skew_seconds": skew,
            "bounded": bounded or planned_bounded,
        }
        if self.clock["bounded"]:
            log.warning(
                "the API's clock is %s ahead of this machine's (its Date said %s at %s local "
                "time); the observation time is bounded at %s (clock_tolerance_seconds = %d)",
                _duration(skew), self.clock["server_last"], self.clock["local"],
                api_time(observed), self.tolerance.total_seconds(),
            )  # fmt: skip
        self.observed_at = observed
        self.observed.set()
        return observed

    # -- listings ---------------------------------------------------------------------

    async def listing(self, kind: str) -> dict[str, Any]:
        """Page one listing to its end into <kind>.ndjson (GET /v1/<its API path>)."""
        entry = BY_LISTING[kind]
        held: list[dict[str, Any]] = []  # a type read by id too is staged once complete

        def on_page(records: list[dict[str, Any]]) -> None:
            if entry.by_id_field:
                held.extend(records)
            else:
                self.staging.write_listing(kind, records)
            if kind == "flows":
                self.flow_ids.extend(record["_id"] for record in records)
                self.error_counts.note(records)
            self.progress(("listing", kind, len(records)))

        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if kind == "flows" and self.jobs is not None:
            params["includeErrorCounts"] = "true"  # numOpenError, lastErrorAt on each flow
        try:
            result = await follow_pages(
                self.client, self.client.url_for(entry.path, params), on_page,
                endpoint=f"/{entry.path}", max_pages=self.max_listing_pages,
            )  # fmt: skip
            if entry.by_id_field:
                self.staging.write_listing(kind, await self.with_fields_by_id(entry, held))
        except (ForbiddenError, NotFoundError) as exc:
            if not entry.optional:
                raise
            return self._unavailable(f"/{entry.path}", exc)
        finally:
            if kind == "flows":
                self.flows_listed.set()
        log.info("listed %d %s in %d page(s)%s", result.records, kind, result.pages,
                 "" if result.complete else " (INCOMPLETE)")  # fmt: skip
        return {"complete": result.complete, "count": result.records, "pages": result.pages}

    # -- jobs and open errors -----------------------------------------------------------

    async def job_part(self, request: JobsRequest) -> dict[str, Any]:
        """Jobs from request.since (None: all the API has) up to the observation time, and
        the open-error summaries of flows whose errors changed."""
        planned_end, _bounded = self.bounded(await self.client.wait_first_answer())

        def on_page(records: list[dict[str, Any]]) -> None:
            self.staging.write_jobs(records)
            self.progress(("jobs", len(records)))

        pager = JobPager(self.client, on_page)
        planned = plan_job_windows(planned_end, request.since, parts=self._parts(),
                                   jobs_per_hour=request.jobs_per_hour)  # fmt: skip

        async def tail() -> list[dict[str, Any]]:
            await self.observed.wait()
            assert self.observed_at is not None
            if self.observed_at <= planned_end:
                return []
            return [await pager.window(JobWindow(planned_end, self.observed_at))]

        windows, tail_windows, errors = await run_together([
            run_together([pager.window(window) for window in planned]), tail(),
            self.open_errors(request),
        ])  # fmt: skip
        windows = windows + tail_windows
        gaps = [f"/jobs from {w['from'] or 'the beginning'} to {w['to']}: {gap}"
                for w in windows for gap in w["gaps"]]  # fmt: skip
        records = sum(window["records"] for window in windows)
        log.info("read %d job(s) in %d window(s)", records, len(windows))
        assert self.observed_at is not None
        return {
            "mode": "full" if request.since is None else "incremental",
            "complete": all(w["complete"] for w in windows) and not gaps,
            "gaps": gaps,
            "from": None if request.since is None else api_time(request.since),
            "to": api_time(self.observed_at),
            "records": records,
            "windows": windows,
            "errors": errors,
        }

    async def open_errors(self, request: JobsRequest) -> dict[str, Any]:
        """Summaries of the flows whose open errors differ from what the database holds."""
        await self.flows_listed.wait()
        lines, ask = [], []
        for flow_id, listed in self.error_counts.counts.items():
            if same_error_state(listed, request.known_errors.get(flow_id)):
                continue
            if listed[0] == 0:  # none open: nothing to ask
                lines.append({"_flowId": flow_id, "numOpenError": 0, "lastErrorAt": listed[1], "flowErrors": []})
            else:
                ask.append(flow_id)
        self.staging.write_flow_errors(lines)
        summaries = await run_together([flow_error_summary(self.client, flow_id) for flow_id in ask])
        asked = []
        for flow_id, summary in zip(ask, summaries, strict=True):
            if summary is None:
                continue
            count, last = self.error_counts.counts[flow_id]
            asked.append({"_flowId": flow_id, "numOpenError": count, "lastErrorAt": last, "flowErrors": summary})
        self.staging.write_flow_errors(asked)
        log.info("read the open errors of %d flow(s); %d had none", len(asked), len(lines))
        return {"flows": len(lines) + len(asked), "requests": len(ask)}

    def _unavailable(self, endpoint: str, exc: FlowauditError) -> dict[str, Any]:
        reason = "HTTP 403, the token may not read it" if isinstance(exc, ForbiddenError) else (
            "HTTP 404, the API does not have it"
        )
        log.warning("%s could not be read (%s): left incomplete; the run goes on", endpoint, reason)
        return {"complete": False, "count": 0, "pages": 0, "unavailable": reason}

    async def with_fields_by_id(
        self, entry: ResourceType, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """records with the field only the by-id GET returns (scripts' `content`), read for
        those whose lastModified the store does not know; the others go without it (the
        loader carries the stored one over). One deleted meanwhile (404) is left out: it
        was gone before the observation time."""
        field = entry.by_id_field
        assert field is not None

        async def complete(record: dict[str, Any]) -> dict[str, Any] | None:
            known = self.known_scripts.get(record["_id"])
            if known is not None and known == record.get("lastModified") and field not in record:
                self.script_counts["content_unchanged"] += 1
                return record
            self.script_counts["content_requests"] += 1
            try:
                answer = await self.client.get(self.client.url_for(f"{entry.path}/{record['_id']}"))
            except NotFoundError:
                self.script_counts["deleted_during_fetch"] += 1
                log.info("%s %s was deleted during the run; left out", entry.title, record["_id"])
                return None
            body = answer.body if isinstance(answer.body, dict) else {}
            if field not in body:
                return record
            # The listing's document, and the field as the by-id GET gives it: the same
            # shape whichever way a script's code was read.
            return {**{k: v for k, v in record.items() if k != field}, field: body[field]}

        found = await run_together([complete(record) for record in records])
        return [record for record in found if record is not None]

    async def recycle_bin_listing(self) -> dict[str, Any]:
        """GET /v1/recycleBinTTL to its end into recycle_bin.ndjson (unavailable: noted)."""

        def on_page(entries: list[dict[str, Any]]) -> None:
            self.staging.write_recycle_bin(entries)
            self.progress(("listing", "recycle bin", len(entries)))

        try:
            result = await follow_pages(
                self.client, self.client.url_for(RECYCLE_BIN_PATH, {"limit": PAGE_LIMIT}), on_page,
                endpoint=f"/{RECYCLE_BIN_PATH}", max_pages=self.max_listing_pages,
                identify=recycle_bin_entry_id,
            )  # fmt: skip
        except (ForbiddenError, NotFoundError) as exc:
            return self._unavailable(f"/{RECYCLE_BIN_PATH}", exc)
        log.info("read %d recycle bin entries in %d page(s)", result.records, result.pages)
        return {"complete": result.complete, "count": result.records, "pages": result.pages}

    # -- audit ------------------------------------------------------------------------

    async def audit(self, since: datetime | None, strategy: str) -> dict[str, Any]:
        """Read the audit log from since (None: all of it) up to the observation time."""
        planned_end, planned_bounded = self.bounded(await self.client.wait_first_answer())
        if strategy == "windows":
            planned, tail = await run_together([
                self.audit_windows(plan_windows(planned_end, since, parts=self._parts())),
                self.audit_tail(planned_end, planned_bounded),
            ])  # fmt: skip
            windows = planned + tail
        else:
            await self.listings_done.wait()
            observed = self.observe(planned_end, planned_bounded)
            windows = await self.audit_per_flow(AuditWindow(since, observed))
        assert self.observed_at is not None
        records = sum(window["records"] for window in windows)
        log.info("read %d audit record(s) in %d window(s)", records, len(windows))
        gaps = [_PER_FLOW_GAP] if strategy == "per-flow" else []
        gaps += [f"{w.get('scope', '/audit')} from {w['from']} to {w['to']}: page cap reached"
                 for w in windows if not w["complete"]]  # fmt: skip
        return {
            "mode": "full" if since is None else "incremental",
            "strategy": strategy,
            "complete": not gaps,
            "gaps": gaps,
            "from": None if since is None else api_time(since),
            "to": api_time(self.observed_at),
            "records": records,
            "windows": windows,
        }

    async def audit_tail(self, planned_end: datetime, planned_bounded: bool) -> list[dict[str, Any]]:
        """[end of the planned windows, observation time): read once every listing is done."""
        await self.listings_done.wait()
        observed = self.observe(planned_end, planned_bounded)
        if observed <= planned_end:
            return []
        return [await self.audit_scope("audit", AuditWindow(planned_end, observed))]

    def _parts(self) -> int:
        # Twice the concurrency: windows differ in size, so spare ones keep every slot busy.
        return 2 * self.client.concurrency

    async def audit_windows(self, windows: list[AuditWindow]) -> list[dict[str, Any]]:
        """Page every window of the account-wide /audit in parallel."""
        return await run_together([self.audit_scope("audit", window) for window in windows])

    async def audit_per_flow(self, window: AuditWindow) -> list[dict[str, Any]]:
        """/flows/<id>/audit for every listed flow, plus account-wide /audit for other types."""
        await self.flows_listed.wait()
        jobs = [self.flow_audit(flow_id, window) for flow_id in dict.fromkeys(self.flow_ids)]
        jobs += [
            self.audit_scope("audit", window, {"resourceType": resource_type})
            for resource_type in NON_FLOW_AUDIT_TYPES
        ]
        return [entry for entry in await run_together(jobs) if entry is not None]

    async def flow_audit(self, flow_id: str, window: AuditWindow) -> dict[str, Any] | None:
        try:
            return await self.audit_scope(f"flows/{flow_id}/audit", window)
        except NotFoundError:
            # Deleted between the listing and this request: its records stay readable
            # account-wide next time; nothing to fail the run for.
            log.info("flow %s was deleted during the run; its audit log is skipped", flow_id)
            return None

    async def audit_scope(
        self, path: str, window: AuditWindow, filters: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Page one audit endpoint over one window into audit.ndjson."""

        def on_page(records: list[dict[str, Any]]) -> None:
            self.staging.write_audit(records)
            self.progress(("audit", len(records)))

        params = {**(filters or {}), **window.params(), "limit": PAGE_LIMIT}
        result: PagedResult = await follow_pages(
            self.client, self.client.url_for(path, params), on_page,
            endpoint=f"/{path}", max_pages=self.max_audit_pages,
        )  # fmt: skip
        return _window_entry(path, window, filters, result)


def _window_entry(
    path: str, window: AuditWindow, filters: dict[str, str] | None, result: PagedResult
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "from": None if window.start is None else api_time(window.start),
        "to": api_time(window.end),
        "records": result.records,
        "pages": result.pages,
        "complete": result.complete,
    }
    if path != "audit" or filters:
        entry["scope"] = "/" + path + "".join(f"?{k}={v}" for k, v in (filters or {}).items())
    return entry


async def run_together(jobs: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Run jobs concurrently; the first failure cancels the rest and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(job) for job in jobs]
    except BaseExceptionGroup as failures:
        raise _first_failure(failures) from None
    return [task.result() for task in tasks]


def _first_failure(group: BaseExceptionGroup) -> BaseException:
    leaves = list(_leaves(group))
    for leaf in leaves:
        if isinstance(leaf, FlowauditError):
            return leaf
    return leaves[0]


def _leaves(error: BaseException):
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error
