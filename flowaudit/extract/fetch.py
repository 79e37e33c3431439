"""Fetch one account into a staging area: the five listings and the audit log, in parallel.

Network only (no database): every listing is paged to its end (complete = its last page
was reached), the audit log is read whole or from `audit_since - overlap` up to the
observation time (the server `Date` of the first answer), and the manifest records what
was read, page by page and window by window. A failed fetch raises and leaves no manifest."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flowaudit import __version__
from flowaudit.errors import FlowauditError, UsageError
from flowaudit.extract.client import ApiClient
from flowaudit.extract.paging import DEFAULT_MAX_PAGES, PagedResult, follow_pages
from flowaudit.extract.retry import NotFoundError
from flowaudit.extract.staging import LISTING_KINDS, StagingArea
from flowaudit.extract.windows import AuditWindow, api_time, plan_windows
from flowaudit.logs import get_logger

log = get_logger(__name__)

PAGE_LIMIT = 1000  # the API's largest page
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
    max_pages: int = DEFAULT_MAX_PAGES,
) -> dict[str, Any]:
    """Fetch the account into staging_dir; return the manifest (also written there)."""
    if strategy not in STRATEGIES:
        raise UsageError(
            f"unknown audit strategy {strategy!r} (choose from: {', '.join(STRATEGIES)})"
        )
    since = None if audit_since is None else _as_utc(audit_since) - overlap
    requests_before, retries_before = client.requests, client.retries
    statuses_before = Counter(client.by_status)
    client.reset_observation()
    with StagingArea(Path(staging_dir)) as staging, _cyclic_gc_paused():
        run = _AccountFetch(client, staging, progress or _no_progress, max_pages)
        listings, audit = await run.everything(since, strategy)
        manifest = {
            "account": account,
            "api_url": str(client.base_url),
            "observed_at": api_time(client.observed_at or run.now),
            "flowaudit_version": __version__,
            "listings": listings,
            "audit": audit,
            "requests": client.requests - requests_before,
            "retries": client.retries - retries_before,
            "by_status": {
                str(status): count
                for status, count in sorted((client.by_status - statuses_before).items())
            },
        }
        staging.write_manifest(manifest)
    return manifest


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Each page parses into ~10,000 short-lived containers; the cyclic collector, triggered
    by those allocations, rescans every live object again and again and doubled the parse
    time. Pages hold no reference cycles (freed by reference counting), so pause it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _as_utc(moment: datetime) -> datetime:
    # The database keeps naive UTC timestamps (docs/architecture.md, Conventions).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _no_progress(event: tuple[Any, ...]) -> None:
    return None


class _AccountFetch:
    """The state of one fetch: the staging files, flow ids seen, the observation time."""

    def __init__(self, client: ApiClient, staging: StagingArea, progress: Progress, max_pages: int):
        self.client = client
        self.staging = staging
        self.progress = progress
        self.max_pages = max_pages
        self.flow_ids: list[str] = []
        self.flows_listed = asyncio.Event()
        self.now: datetime | None = None

    async def everything(self, since: datetime | None, strategy: str) -> tuple[dict, dict]:
        listing_jobs = [self.listing(kind) for kind in LISTING_KINDS]
        results = await run_together([*listing_jobs, self.audit(since, strategy)])
        listings = dict(zip(LISTING_KINDS, results[:-1], strict=True))
        return listings, results[-1]

    # -- listings ---------------------------------------------------------------------

    async def listing(self, kind: str) -> dict[str, Any]:
        """Page one listing to its end into <kind>.ndjson."""

        def on_page(records: list[dict[str, Any]]) -> None:
            self.staging.write_listing(kind, records)
            if kind == "flows":
                self.flow_ids.extend(record["_id"] for record in records)
            self.progress(("listing", kind, len(records)))

        try:
            result = await follow_pages(
                self.client, self.client.url_for(kind, {"limit": PAGE_LIMIT}), on_page,
                endpoint=f"/{kind}", max_pages=self.max_pages,
            )  # fmt: skip
        finally:
            if kind == "flows":
                self.flows_listed.set()
        log.info("listed %d %s in %d page(s)%s", result.records, kind, result.pages,
                 "" if result.complete else " (INCOMPLETE)")  # fmt: skip
        return {"complete": result.complete, "count": result.records, "pages": result.pages}

    # -- audit ------------------------------------------------------------------------

    async def audit(self, since: datetime | None, strategy: str) -> dict[str, Any]:
        """Read the audit log from since (None: all of it) up to the observation time."""
        self.now = await self.client.wait_observed()
        if strategy == "windows":
            windows = await self.audit_windows(plan_windows(self.now, since, parts=self._parts()))
        else:
            windows = await self.audit_per_flow(AuditWindow(since, self.now))
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
            "to": api_time(self.now),
            "records": records,
            "windows": windows,
        }

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
            endpoint=f"/{path}", max_pages=self.max_pages,
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
