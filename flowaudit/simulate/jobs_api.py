"""The simulator's job and error routes, as the reference describes them:

- `GET /v1/jobs`: flow jobs newest first (descending `createdAt`), up to 1,001 per page, no
  `Link` and no `nextPageURL`: a client pages with `createdAt_lte`, which is inclusive. A
  query without a scope filter (`_integrationId`, `_flowId`, `_flowId_in`, `_exportId`,
  `_importId`, `_flowJobId`, `createdAt_*`) is 400 `invalid_query`, and so is a child-job
  query (`type=export|import`) without `_flowJobId` or a resource id. Jobs older than
  `job_retention_days` are no longer returned.
- `GET /v1/flows/<id>/errors`: `{"flowErrors": [{"_expOrImpId", "numError"}]}`, the open
  errors per step.
- `GET /v1/flows/<id>/<step id>/errors`: `{"errors": [...], "nextPageURL": ...}`, one step's
  open errors, paged by an opaque URL in the body (`limit` is ignored).
- `GET /v1/flows?includeErrorCounts=true` adds `numOpenError` and `lastErrorAt` to each flow."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flowaudit import jsonfast
from flowaudit.simulate.clock import DAY_MS, iso, to_ms
from flowaudit.simulate.http_types import ApiError, SimRequest, SimResponse
from flowaudit.simulate.jobs import ERROR_PURGE_MS, FLOW_MASK

if TYPE_CHECKING:
    from flowaudit.simulate.account import SimulatedAccount

JSON = "application/json; charset=utf-8"
MAX_JOBS_PAGE = 1001
ERRORS_PAGE = 200
SCOPE_FILTERS = ("_integrationId", "_flowId", "_flowId_in", "_exportId", "_importId", "_flowJobId",
                 "createdAt_gte", "createdAt_lte")  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ERROR_CODES = (
    ("invalid_field", "Field `{field}` is required by the destination."),
    ("mapping_error", "Could not map `{field}`: the source value is missing."),
    ("DUPLICATE_VALUE", "A record with this external id already exists."),
    ("http_error", "HTTP 422 from the destination: validation failed."),
)


def _json(body: bytes) -> SimResponse:
    return SimResponse(200, body, [("Content-Type", JSON)])


def parse_job_time(name: str, text: str) -> int:
    """Epoch ms of a jobs filter: ISO-8601 with or without ms (and offset), a plain date, or
    epoch ms; ApiError 400 otherwise."""
    value = text.strip()
    try:
        if value.isdigit():
            return int(value)
        if _DATE.match(value):
            return to_ms(datetime.fromisoformat(value).replace(tzinfo=UTC))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return to_ms(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except (ValueError, OverflowError):
        raise ApiError(400, "invalid_query", f"{name} is not a date: {text!r}.", name) from None


def jobs(account: SimulatedAccount, params: dict[str, str]) -> SimResponse:
    """GET /v1/jobs."""
    kinds = _types(params)
    if not any(params.get(name) for name in SCOPE_FILTERS):
        raise ApiError(400, "invalid_query",
                       "A job query needs one of " + ", ".join(SCOPE_FILTERS) + ".")  # fmt: skip
    if kinds & {"export", "import"} and not any(
        params.get(name) for name in ("_flowJobId", "_exportId", "_importId")
    ):
        raise ApiError(
            400, "invalid_query", "Child job queries need _flowJobId, _exportId or _importId."
        )
    limit = _limit(params)
    book = account.jobs
    now = account.now_ms
    high = (
        min(now, parse_job_time("createdAt_lte", params["createdAt_lte"]))
        if params.get("createdAt_lte")
        else now
    )
    low = now - account.options.job_retention_days * DAY_MS
    if params.get("createdAt_gte"):
        low = max(low, parse_job_time("createdAt_gte", params["createdAt_gte"]))
    if (
        "flow" not in kinds
        or params.get("_flowJobId")
        or params.get("_exportId")
        or params.get("_importId")
    ):
        return _json(b"[]")  # the simulator makes flow jobs only
    flows = _flow_filter(account, params)
    integration = params.get("_integrationId")
    status = params.get("status")
    page: list[bytes] = []
    for key in book.keys_between(low, high):
        if flows is not None and key & FLOW_MASK not in flows:
            continue
        if integration or status:
            run = book.run(key)
            if integration and run.integration_id != integration:
                continue
            encoded = book.document_bytes(run, now)
            if status and jsonfast.loads(encoded)["status"] != status:
                continue
        else:
            encoded = book.encoded(key, now)
        page.append(encoded)
        if len(page) >= limit:
            break
    return _json(b"[" + b",".join(page) + b"]")


def _types(params: dict[str, str]) -> set[str]:
    if params.get("type_in"):
        return {part.strip() for part in params["type_in"].split(",") if part.strip()}
    return {params.get("type") or "flow"}


def _limit(params: dict[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return MAX_JOBS_PAGE
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(
            400, "invalid_query_params", "limit must be a positive whole number.", "limit"
        )
    return min(int(raw), MAX_JOBS_PAGE)


def _flow_filter(account: SimulatedAccount, params: dict[str, str]) -> set[int] | None:
    wanted = [params["_flowId"]] if params.get("_flowId") else []
    if params.get("_flowId_in"):
        wanted += [part.strip() for part in params["_flowId_in"].split(",") if part.strip()]
    if not wanted:
        return None
    index = account.jobs.index
    return {index[flow_id] for flow_id in wanted if flow_id in index}


def flow_errors(account: SimulatedAccount, flow_id: str) -> SimResponse:
    """GET /v1/flows/<id>/errors: open errors per step."""
    book = account.jobs
    open_now, _last = book.open_errors(account.now_ms)
    steps = open_now.get(book.index.get(flow_id, -1), {})
    body = {
        "flowErrors": [
            {"_expOrImpId": step, "numError": count} for step, count in sorted(steps.items())
        ]
    }
    return _json(jsonfast.dumps(body))


def step_errors(account: SimulatedAccount, request: SimRequest, flow_id: str, step_id: str,
                params: dict[str, str]) -> SimResponse:  # fmt: skip
    """GET /v1/flows/<id>/<step id>/errors: one step's open errors, paged in the body."""
    errors = []
    for run in account.jobs.open_error_runs(flow_id, step_id, account.now_ms):
        for number in range(run.num_error):
            code, message = _ERROR_CODES[(run.key + number) % len(_ERROR_CODES)]
            errors.append({
                "errorId": f"{run.job_id[:16]}{number:08x}", "code": code,
                "message": message.format(field=("email", "sku", "amount", "customerId")[number % 4]),
                "source": "import" if run.error_step else "flow", "occurredAt": iso(run.ended),
                "purgeAt": iso(run.ended + ERROR_PURGE_MS), "_flowJobId": run.job_id,
                "retriable": code != "DUPLICATE_VALUE", "traceKey": f"{run.key % 1_000_003:07d}-{number}",
            })  # fmt: skip
    start = _cursor(params)
    page = errors[start : start + ERRORS_PAGE]
    body: dict = {"errors": page}
    if start + ERRORS_PAGE < len(errors):
        cursor = (
            base64.urlsafe_b64encode(f"errors:{start + ERRORS_PAGE}".encode()).decode().rstrip("=")
        )
        body["nextPageURL"] = f"{request.origin}{request.path}?after={cursor}"
    return _json(jsonfast.dumps(body))


def _cursor(params: dict[str, str]) -> int:
    raw = params.get("after")
    if raw is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    tag, _, value = text.partition(":")
    if tag != "errors" or not value.isdigit():
        raise ApiError(400, "invalid_query_params", "The paging cursor is not valid here.", "after")
    return int(value)


def with_error_counts(account: SimulatedAccount, flow_ids: list[str]) -> list[bytes]:
    """The flows' documents with `numOpenError` and `lastErrorAt` (includeErrorCounts=true)."""
    book = account.jobs
    open_now, last = book.open_errors(account.now_ms)
    docs = []
    for flow_id in flow_ids:
        blob = account.store.doc_bytes("flows", flow_id)
        index = book.index.get(flow_id, -1)
        extra = b',"numOpenError":%d' % sum(open_now.get(index, {}).values())
        if index in last:
            extra += b',"lastErrorAt":"' + iso(last[index]).encode() + b'"'
        docs.append(blob[:-1] + extra + b"}")
    return docs
