"""The HTTP surface of a simulated account: authentication, the rate limit, fault
injection, and the routes of the reference (lists with Link paging, get by id, the audit
endpoints, tokenInfo, and the flow API's writes). Pure request -> response; no sockets."""

from __future__ import annotations

import base64
import bisect
import hmac
import json
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from flowaudit.registry import RESOURCE_TYPES as _REGISTRY
from flowaudit.simulate import flow_writes, jobs_api, whole_account
from flowaudit.simulate.audit_query import (
    ACTIONS,
    RESOURCE_TYPES,
    SOURCES,
    AuditFilter,
    select_page,
)
from flowaudit.simulate.clock import DAY_MS, http_date, iso, parse_filter_time
from flowaudit.simulate.http_types import ApiError, SimRequest, SimResponse
from flowaudit.simulate.store import KINDS, TYPE_OF_KIND, flow_step_ids

if TYPE_CHECKING:
    from flowaudit.simulate.account import SimulatedAccount

JSON = "application/json; charset=utf-8"
_ID = re.compile(r"^[0-9a-f]{24}$")
_SERVER_ERRORS = {"500": 500, "502": 502, "503": 503}
_KIND_NAMES = {t.listing: t.title[:1].upper() + t.title[1:] for t in _REGISTRY}


def handle(account: SimulatedAccount, request: SimRequest) -> SimResponse:
    """Answer one request (the account's lock must be held)."""
    if request.path.startswith("/_sim/"):
        response = _admin(account, request)  # not counted: counters describe the API's load
    else:
        response = _api(account, request)
        account.count(request, response)
    response.headers.insert(0, ("Date", http_date(account.now_ms)))
    return response


def _api(account: SimulatedAccount, request: SimRequest) -> SimResponse:
    try:
        _authenticate(account, request)
    except ApiError as error:
        return _error(error)
    wait = account.bucket.take()
    fault = account.faults.draw()
    if wait or fault == "429":
        return _rate_limited(wait or 1)
    if fault in _SERVER_ERRORS:
        # A faulty answer never half-applies a write: the route is not called at all.
        status = _SERVER_ERRORS[fault]
        return _error(ApiError(status, "server_error", "Internal server error, please retry."))
    if fault == "drop":
        return SimResponse(0, drop="protocol" if account.faults.draw_bit() else "read")
    if fault in ("truncated", "malformed") and request.method != "GET":
        return SimResponse(200, b'{"errors": [', [("Content-Type", JSON)])
    try:
        response = _route(account, request)
    except ApiError as error:
        response = _error(error)
    if fault == "slow":
        response.delay = account.options.slow_seconds
    elif fault == "truncated":
        response.body = response.body[: max(1, len(response.body) // 2)]
    elif fault == "malformed":
        response.body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    return response


def _rate_limited(wait: int) -> SimResponse:
    response = _error(ApiError(429, "rate_limited", f"Too many requests. Retry after {wait} seconds."))
    response.headers.append(("Retry-After", str(wait)))
    return response


def _authenticate(account: SimulatedAccount, request: SimRequest) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiError(401, account.options.unauthorized_code, "Authentication required: send Authorization: Bearer <token>.")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), account.token.encode()):
        if token.strip() in account.options.forbidden_tokens:
            raise ApiError(403, account.options.forbidden_code, "Forbidden: this token may not use the API.")
        raise ApiError(401, account.options.unauthorized_code, "Invalid or expired API token.")
    first = request.path.removeprefix("/v1/").split("/", 1)[0]
    if first in account.options.forbidden_kinds:
        raise ApiError(403, account.options.forbidden_code, f"Forbidden: this token has no access to {first}.")


def _error(error: ApiError) -> SimResponse:
    return SimResponse(error.status, error.envelope(), [("Content-Type", JSON)])


def _json(status: int, body: bytes, extra: list[tuple[str, str]] | None = None) -> SimResponse:
    return SimResponse(status, body, [("Content-Type", JSON), *(extra or [])])


def _route(account: SimulatedAccount, request: SimRequest) -> SimResponse:
    parts = [part for part in request.path.split("/") if part]
    if not parts or parts[0] != "v1":
        raise ApiError(404, "not_found", "Not found.")
    parts = parts[1:]
    method = request.method
    params = _params(request.query)
    if parts == ["tokenInfo"]:
        _allow(method, "GET")
        body = {"_userId": account.store.users[account.token_user]["_id"], "scope": "*"}
        return _json(200, json.dumps(body).encode())
    if parts == ["audit"]:
        _allow(method, "GET")
        return _audit(account, request, params, _audit_filter(params, allow_resource=True))
    if parts == ["jobs"]:
        _allow(method, "GET")
        return jobs_api.jobs(account, params)
    extra = whole_account.route(account, request, parts, params)
    if extra is not None:
        return extra
    kind = whole_account.kind_of_path(parts[0]) if parts else None
    if kind is None or kind not in KINDS:
        raise ApiError(404, "not_found", "Not found.")
    if len(parts) == 1:
        if kind == "flows" and method == "POST":
            return _created(account, flow_writes.create_flow(account, _body(request)))
        _allow(method, "GET", "POST" if kind == "flows" else "GET")
        return _list(account, request, kind, params)
    rid = parts[1]
    if len(parts) == 2:
        if kind == "flows" and method == "PUT":
            doc = flow_writes.replace_flow(account, _existing(account, kind, rid), _body(request))
            return _json(200, _dumps(doc))
        if kind == "flows" and method == "DELETE":
            flow_writes.delete_flow(account, _existing(account, kind, rid))
            return SimResponse(204)
        _allow(method, "GET", *(("PUT", "DELETE") if kind == "flows" else ()))
        _existing(account, kind, rid)
        return _json(200, account.store.doc_bytes(kind, rid))
    if len(parts) == 3 and parts[2] == "audit":
        _allow(method, "GET")
        flt = _audit_filter(params, allow_resource=False)
        return _audit(account, request, params, _with_resources(account, kind, rid, flt))
    if len(parts) == 3 and kind == "flows" and parts[2] in ("clone", "run"):
        _allow(method, "POST")
        flow_id = _existing(account, kind, rid)
        if parts[2] == "clone":
            return _created(account, flow_writes.clone(account, flow_id, _body(request)))
        job_id = flow_writes.run(account, flow_id, _body(request, required=False))
        return _json(201, json.dumps({"_jobId": job_id}).encode())
    if kind == "flows" and parts[-1] == "errors" and len(parts) in (3, 4):
        _allow(method, "GET")
        flow_id = _existing(account, kind, rid)
        if len(parts) == 3:
            return jobs_api.flow_errors(account, flow_id)
        return jobs_api.step_errors(account, request, flow_id, parts[2], params)
    raise ApiError(404, "not_found", "Not found.")


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise ApiError(405, "method_not_allowed", f"{method} is not allowed here; use {', '.join(sorted(set(allowed)))}.")


def _existing(account: SimulatedAccount, kind: str, rid: str) -> str:
    if not _ID.match(rid) or account.store.get(kind, rid) is None:
        raise ApiError(404, "not_found", f"{_KIND_NAMES[kind]} not found.")
    return rid


def _created(account: SimulatedAccount, doc: dict) -> SimResponse:
    return _json(201, _dumps(doc))


def _dumps(doc: dict | list) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _body(request: SimRequest, *, required: bool = True) -> dict:
    if not request.body.strip():
        if required:
            raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _params(query: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(query, keep_blank_values=True, strict_parsing=False))
    except ValueError:
        raise ApiError(400, "invalid_query_params", "The query string is malformed.") from None


def _limit(account: SimulatedAccount, params: dict[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return account.options.default_limit
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, "invalid_query_params", "limit must be a positive whole number.", "limit")
    return min(int(raw), account.options.max_limit)


# --- paging: the cursor is opaque to clients (base64 of a kind tag and a position) ---
def _encode_cursor(tag: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{tag}:{value}".encode()).decode().rstrip("=")


def _decode_cursor(params: dict[str, str], tag: str) -> str | None:
    raw = params.get("after")
    if raw is None:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    found_tag, _, value = text.partition(":")
    if found_tag != tag or not value:
        raise ApiError(400, "invalid_query_params", "The paging cursor is not valid here.", "after")
    return value


def _link(account: SimulatedAccount, request: SimRequest, params: dict[str, str], cursor: str) -> tuple[str, str]:
    query = {key: value for key, value in params.items() if key != "after"}
    query["after"] = cursor
    url = f"{request.origin}{request.path}?{urlencode(query)}"
    rel = 'rel="next"' if account.options.link_rel_quoted else "rel=next"
    return ("Link", f"<{url}>; {rel}")


def _list(account: SimulatedAccount, request: SimRequest, kind: str, params: dict[str, str]) -> SimResponse:
    limit = _limit(account, params)
    store = account.store
    ids = store.sorted_ids[kind]
    if kind == "flows" and not ids:
        return SimResponse(204)  # documented: no flows at all is 204 with no body
    after = _decode_cursor(params, kind)
    start = bisect.bisect_right(ids, after) if after is not None else 0
    page = ids[start : start + limit]
    if kind == "flows" and params.get("includeErrorCounts") == "true":
        body = b"[" + b",".join(jobs_api.with_error_counts(account, page)) + b"]"
    else:
        body = b"[" + b",".join(whole_account.listing_bytes(store, kind, rid) for rid in page) + b"]"
    extra = []
    if start + limit < len(ids):
        extra.append(_link(account, request, params, _encode_cursor(kind, page[-1])))
    return _json(200, body, extra)


def _audit_filter(params: dict[str, str], *, allow_resource: bool) -> AuditFilter:
    resource_type = params.get("resourceType") if allow_resource else None
    resource_id = params.get("_resourceId") if allow_resource else None
    if resource_type is not None and resource_type not in RESOURCE_TYPES:
        raise ApiError(400, "invalid_query_params", f"Unknown resourceType {resource_type!r}.", "resourceType")
    if resource_id is not None and resource_type is None:
        raise ApiError(400, "invalid_query_params", "_resourceId may only be used with resourceType.", "_resourceId")
    for name, allowed in (("source", SOURCES), ("action", ACTIONS)):
        if name in params and params[name] not in allowed:
            raise ApiError(400, "invalid_query_params", f"Unknown {name} {params[name]!r}.", name)
    times = {}
    for name in ("from", "to"):
        if name in params:
            parsed = parse_filter_time(params[name])
            if parsed is None:
                raise ApiError(400, "invalid_query_params", f"{name} must look like YYYY-MM-DDTHH:mm:ss.SSSZ.", name)
            times[name] = parsed
    return AuditFilter(
        resource_type=resource_type,
        resources=((resource_type, resource_id),) if resource_type and resource_id else None,
        source=params.get("source"),
        action=params.get("action"),
        by_user_id=params.get("_byUserId"),
        from_ms=times.get("from"),
        to_ms=times.get("to"),
    )


def _with_resources(account: SimulatedAccount, kind: str, rid: str, flt: AuditFilter) -> AuditFilter:
    """`/<kind>/<id>/audit`: the resource's own records and those of its descendants."""
    store = account.store
    alive = store.get(kind, rid) is not None
    if not alive and not (_ID.match(rid) and rid in store.truth[kind]):
        raise ApiError(404, "not_found", f"{_KIND_NAMES[kind]} not found.")
    keys: dict[tuple[str, str], None] = {(TYPE_OF_KIND[kind], rid): None}
    flows = []
    if kind == "flows" and alive:
        flows = [store.current["flows"][rid]]
    elif kind == "integrations":
        flows = [doc for doc in store.current["flows"].values() if doc.get("_integrationId") == rid]
        for flow in flows:
            keys[("flow", flow["_id"])] = None
    for flow in flows:
        exports, imports = flow_step_ids(flow)
        for export_id in exports:
            keys[("export", export_id)] = None
        for import_id in imports:
            keys[("import", import_id)] = None
    return AuditFilter(resources=tuple(keys), source=flt.source, action=flt.action,
                       by_user_id=flt.by_user_id, from_ms=flt.from_ms, to_ms=flt.to_ms)  # fmt: skip


def _audit(account: SimulatedAccount, request: SimRequest, params: dict[str, str], flt: AuditFilter) -> SimResponse:
    limit = _limit(account, params)
    cursor = _decode_cursor(params, "audit")
    if cursor is not None and not cursor.isdigit():
        raise ApiError(400, "invalid_query_params", "The paging cursor is not valid here.", "after")
    log = account.store.audit
    visible_from = account.now_ms - account.options.audit_retention_days * DAY_MS
    positions, next_before = select_page(
        log, flt, visible_from_ms=visible_from, before=int(cursor) if cursor else None, limit=limit
    )
    body = log.page_bytes(positions)
    extra = []
    if next_before is not None:
        extra.append(_link(account, request, params, _encode_cursor("audit", str(next_before))))
    return _json(200, body, extra)


# --- admin routes (no token; the server only answers them on loopback) ---
def _admin(account: SimulatedAccount, request: SimRequest) -> SimResponse:
    params = _params(request.query)
    route = (request.method, request.path)
    try:
        if route == ("GET", "/_sim/now"):
            return _json(200, json.dumps({"now": iso(account.now_ms)}).encode())
        if route == ("GET", "/_sim/counters"):
            return _json(200, json.dumps(account.counters).encode())
        if route == ("POST", "/_sim/advance"):
            hours = _number(params, "hours", 24.0)
            silent = int(_number(params, "silent", 0))
            summary = account.advance_locked(hours=hours, silent_changes=silent)
            # The jobs of the days the advance changed and the open errors are made now, not
            # under the lock by the first client request after it: an API does not stall for a
            # second after its account changed, and a timed run must not measure that.
            account.jobs.settle(account.now_ms)
            return _json(200, json.dumps(summary, ensure_ascii=False).encode())
        if route == ("POST", "/_sim/faults"):
            rate = _number(params, "rate", 0.0)
            if not 0.0 <= rate <= 1.0:
                raise ApiError(400, "invalid_query_params", "rate must be between 0 and 1.", "rate")
            account.faults.configure(rate, int(_number(params, "seed", 0)), account.faults.kinds)
            return _json(200, json.dumps({"rate": rate}).encode())
    except ApiError as error:
        return _error(error)
    return _error(ApiError(404, "not_found", "Unknown admin route; see GET /_sim/now, /_sim/counters, POST /_sim/advance, /_sim/faults."))


def _number(params: dict[str, str], name: str, default: float) -> float:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(400, "invalid_query_params", f"{name} must be a number.", name) from None
    if value < 0:
        raise ApiError(400, "invalid_query_params", f"{name} must not be negative.", name)
    return value
