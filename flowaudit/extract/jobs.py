"""Reading flow jobs (`GET /v1/jobs`) and the open error summary of flows
(`GET /v1/flows/<id>/errors`) into the staging area. Network only.

Jobs come newest first, up to 1,001 a page, with no next link: the next page is asked for
with `createdAt_lte` set to the oldest `createdAt` read so far. That bound is inclusive (the
documented "minus 1 ms" would skip jobs sharing the millisecond), so the jobs at it come
again and are dropped by `_id`. A window of `[from, to)` asks for `createdAt_gte = from`
and `createdAt_lte = to - 1 ms`; it ends with an empty page, or with a page shorter than
the largest page of /jobs the fetch has seen (the API fills its pages up to its size, so a
shorter one had nothing more to give). When a full page shares one `createdAt`, the bound
cannot move past it: the window steps 1 ms below it and records a gap (jobs of that
millisecond beyond a page may be missing), so the reading is not complete.

Error summaries are asked for only where the flows listing (`includeErrorCounts=true`)
says the open errors changed since the summary the database holds: a flow whose
`numOpenError` and `lastErrorAt` equal the stored ones costs no request, a flow with none
is written without one."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flowaudit.errors import ApiContractError
from flowaudit.extract.client import ApiClient
from flowaudit.extract.paging import page_records
from flowaudit.extract.retry import NotFoundError
from flowaudit.extract.windows import api_time, split, to_millisecond
from flowaudit.logs import get_logger

log = get_logger(__name__)

DOCUMENTED_PAGE = 1001  # "up to 1001 per page"
MAX_JOB_PAGES = 10_000  # ten million jobs in one window: far beyond any real account
RECENT_DAYS = 31  # a full read splits this much before now into parallel windows
JOBS_PER_WINDOW = 5 * DOCUMENTED_PAGE  # an incremental read plans about this many per window
ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class JobsRequest:
    """What the run asks of jobs: from when (None: everything the API still has), how many
    jobs an hour to expect (sizes the windows; None: unknown), and the open-error state the
    database holds per flow (`(numOpenError, lastErrorAt)`)."""

    since: datetime | None = None
    jobs_per_hour: float | None = None
    known_errors: dict[str, tuple[int, str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class JobWindow:
    """[start, end) of job creation times; start None = everything before end."""

    start: datetime | None
    end: datetime

    def params(self, bound: datetime) -> dict[str, str]:
        params = {"type": "flow", "createdAt_lte": api_time(bound)}
        if self.start is not None:
            params["createdAt_gte"] = api_time(self.start)
        return params


def plan_job_windows(
    end: datetime, since: datetime | None, *, parts: int, jobs_per_hour: float | None
) -> list[JobWindow]:
    """Windows covering everything before end (since None) or [since, end)."""
    parts = max(1, parts)
    if since is None:
        recent = to_millisecond(end - timedelta(days=RECENT_DAYS))
        return [JobWindow(None, recent), *_windows(recent, end, parts)]
    start = min(since, end)
    if jobs_per_hour is None:
        count = parts
    else:
        expected = jobs_per_hour * (end - start).total_seconds() / 3600
        count = min(parts, max(1, math.ceil(expected / JOBS_PER_WINDOW)))
    return _windows(start, end, count)


def _windows(start: datetime, end: datetime, count: int) -> list[JobWindow]:
    if end <= start:
        return []
    return [JobWindow(w.start, w.end) for w in split(start, end, count)]


def job_time(record: dict[str, Any], where: str) -> datetime:
    """A job's createdAt, or ApiContractError (paging cannot go on without it)."""
    text = record.get("createdAt")
    try:
        if not isinstance(text, str):
            raise ValueError
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiContractError(
            f"{where}: job {record['_id']!r} has no readable createdAt"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class JobPager:
    """Pages windows of /jobs for one fetch; remembers the largest page it has seen."""

    def __init__(self, client: ApiClient, on_page: Callable[[list[dict[str, Any]]], None],
                 *, max_pages: int = MAX_JOB_PAGES):  # fmt: skip
        self.client = client
        self.on_page = on_page
        self.max_pages = max_pages
        self.largest_page = 0

    async def window(self, window: JobWindow) -> dict[str, Any]:
        """Page one window to its end; its manifest entry."""
        # The ids of the jobs read at the current bound: createdAt_lte is inclusive, so the next
        # page holds them again. Only those: a window's every id would be millions at once.
        seen: set[str] = set()
        bound = window.end - ONE_MS  # createdAt_lte is inclusive: [start, end) ends 1 ms before
        pages = records = 0
        gaps: list[str] = []
        complete = False
        while window.start is None or bound >= window.start:
            if pages >= self.max_pages:
                log.warning("/jobs: stopped after %d pages (page cap); window incomplete", pages)
                gaps.append(f"page cap of {self.max_pages} reached at createdAt {api_time(bound)}")
                break
            where = f"/jobs (createdAt_lte {api_time(bound)}) page {pages + 1}"
            answer = await self.client.get(self.client.url_for("jobs", window.params(bound)))
            page = page_records(answer.body, where=where)
            pages += 1
            times = [job_time(record, where) for record in page]
            _check_bounds(times, window, bound, where)
            self.largest_page = max(self.largest_page, len(page))
            fresh = [record for record in page if record["_id"] not in seen]
            if fresh:
                seen.update(record["_id"] for record in fresh)
                records += len(fresh)
                self.on_page(fresh)
            if not page or len(page) < self.largest_page:
                complete = True  # the API had no more at or before the bound
                break
            oldest = min(times)
            if oldest < bound:
                bound = oldest  # inclusive: the jobs at it come again and are dropped
                seen = {record["_id"] for record, moment in zip(page, times, strict=True) if moment == oldest}
                continue
            # A full page, every job of it at the bound: asking again gives the same page.
            gaps.append(
                f"more than {len(page)} jobs share createdAt {api_time(bound)}; some may be missing"
            )
            bound -= ONE_MS
            seen = set()  # no job read so far is at or before the new bound
        else:
            complete = True  # the bound went below the window's start
        return {
            "from": None if window.start is None else api_time(window.start),
            "to": api_time(window.end),
            "records": records,
            "pages": pages,
            "complete": complete and not gaps,
            "gaps": gaps,
        }


def _check_bounds(times: list[datetime], window: JobWindow, bound: datetime, where: str) -> None:
    for moment in times:
        if moment > bound or (window.start is not None and moment < window.start):
            raise ApiContractError(
                f"{where}: a job created at {api_time(moment)} is outside the times asked for "
                f"({'…' if window.start is None else api_time(window.start)} to {api_time(bound)})"
            )


@dataclass
class FlowErrorCounts:
    """What the flows listing said of each flow's open errors (None: it did not say)."""

    counts: dict[str, tuple[int | None, str | None]] = field(default_factory=dict)

    def note(self, flows: list[dict[str, Any]]) -> None:
        for flow in flows:
            count = flow.get("numOpenError")
            last = flow.get("lastErrorAt")
            valid = isinstance(count, int) and not isinstance(count, bool) and count >= 0
            self.counts[flow["_id"]] = (
                count if valid else None,
                last if isinstance(last, str) else None,
            )


def same_error_state(
    listed: tuple[int | None, str | None], known: tuple[int, str | None] | None
) -> bool:
    """Whether the listing's (numOpenError, lastErrorAt) equals what the database holds."""
    if known is None:
        return listed[0] == 0
    return listed[0] == known[0] and _instant(listed[1]) == _instant(known[1])


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def flow_error_summary(client: ApiClient, flow_id: str) -> list[dict[str, Any]] | None:
    """`flowErrors` of GET /flows/<id>/errors (None when the flow is gone)."""
    where = f"/flows/{flow_id}/errors"
    try:
        answer = await client.get(client.url_for(f"flows/{flow_id}/errors"))
    except NotFoundError:
        log.info("flow %s was deleted during the run; its open errors are skipped", flow_id)
        return None
    body = answer.body
    if body is None:
        return []
    entries = body.get("flowErrors") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("_expOrImpId"), str)
        and isinstance(e.get("numError"), int)
        for e in entries
    ):
        raise ApiContractError(f'{where}: expected {{"flowErrors": [{{_expOrImpId, numError}}]}}')
    return entries
