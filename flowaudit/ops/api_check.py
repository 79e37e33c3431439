"""The doctor's network checks: is the API there (one GET /tokenInfo), does it accept the
token, and may the token read everything a run reads (one-record pages of each listing and
of /audit). A listing the run can do without (an `optional` type of the registry, and the
recycle bin) that the token may not read is named, but fails nothing: the run leaves it
incomplete. No retries: the doctor reports what it sees now, in words."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from flowaudit import __version__
from flowaudit.config import Settings
from flowaudit.errors import ExitCode
from flowaudit.extract.fetch import RECYCLE_BIN_PATH
from flowaudit.extract.retry import describe_transport_error, envelope_summary
from flowaudit.ops.checks import Check, fail, ok, skip
from flowaudit.registry import RESOURCE_TYPES

# What a run reads: a token must be allowed every one of them...
READ_PATHS = (*(t.path for t in RESOURCE_TYPES if not t.optional), "audit")
# ... and these it reads if it may (their listing is left incomplete otherwise).
OPTIONAL_PATHS = (*(t.path for t in RESOURCE_TYPES if t.optional), RECYCLE_BIN_PATH)


def check_api_and_token(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> list[Check]:
    """Two checks, `api` then `token`, from GET /tokenInfo and a page of each read path."""
    base = settings.api_url.rstrip("/")
    try:
        url = httpx.URL(base)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        return [
            fail("api", f"the API URL {base!r} is not an http(s) URL (--api-url / --region)",
                 ExitCode.CONFIG),
            skip("token", "needs a valid API URL"),
        ]  # fmt: skip
    headers = {"User-Agent": f"flowaudit/{__version__} doctor", "Accept": "application/json"}
    if settings.token:
        headers["Authorization"] = f"Bearer {settings.token.reveal()}"
    timeout = httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0))
    with httpx.Client(
        transport=transport, headers=headers, timeout=timeout, follow_redirects=False
    ) as http:
        started = time.monotonic()
        try:
            answer = http.get(f"{base}/tokenInfo")
        except httpx.TransportError as exc:
            return [
                fail("api", f"cannot reach {base}: {describe_transport_error(exc)}",
                     ExitCode.API_UNAVAILABLE),
                skip("token", "needs the API"),
            ]  # fmt: skip
        millis = (time.monotonic() - started) * 1000
        return _judge_token_info(http, base, answer, millis, settings)


def _judge_token_info(
    http: httpx.Client, base: str, answer: httpx.Response, millis: float, settings: Settings
) -> list[Check]:
    status = answer.status_code
    reached = f"{base} answered in {millis:.0f} ms"
    if status in (401, 403):
        api = ok("api", f"{reached} (HTTP {status} for /tokenInfo)")
        if not settings.token:
            return [api, _no_token()]
        return [api, fail("token", f"the API rejected the token (HTTP {status}: "
                          f"{envelope_summary(answer)}): it is wrong, expired or was deleted",
                          ExitCode.AUTH)]  # fmt: skip
    if status == 429:
        return [
            ok("api", f"{reached} (HTTP 429: the account is being throttled right now)"),
            skip("token", "the API is throttling this account; try again in a minute"),
        ]
    if status >= 500:
        return [
            fail("api", f"{base} answers HTTP {status} ({envelope_summary(answer)}); "
                 "integrator.io may be down: try again later", ExitCode.API_UNAVAILABLE),
            skip("token", "needs the API"),
        ]  # fmt: skip
    if status == 404:
        return [
            fail("api", f"{base} has no /tokenInfo (HTTP 404): is the API URL right? "
                 "it should end in /v1", ExitCode.API_CONTRACT),
            skip("token", "needs the API"),
        ]  # fmt: skip
    info = _json_object(answer) if status == 200 else None
    if info is None or not isinstance(info.get("_userId"), str):
        return [
            fail("api", f"{base}/tokenInfo answered HTTP {status} with something that is not "
                 "integrator.io's token info: is the API URL right?", ExitCode.API_CONTRACT),
            skip("token", "needs the API"),
        ]  # fmt: skip
    api = ok("api", reached)
    if not settings.token:
        return [api, _no_token()]
    return [api, _check_read_access(http, base, info)]


def _no_token() -> Check:
    return fail("token", "no API token: set FLOWAUDIT_TOKEN or pass --token-file PATH",
                ExitCode.CONFIG)  # fmt: skip


def _check_read_access(http: httpx.Client, base: str, info: dict[str, Any]) -> Check:
    who = f"user {info['_userId']}, scope {info.get('scope', 'not stated')}"
    refused = []
    optional: list[str] = []
    for path in (*READ_PATHS, *OPTIONAL_PATHS):
        try:
            answer = http.get(f"{base}/{path}", params={"limit": 1})
        except httpx.TransportError as exc:
            return fail("token", f"valid ({who}), but reading /{path} failed: "
                        f"{describe_transport_error(exc)}", ExitCode.API_UNAVAILABLE)  # fmt: skip
        found = refused if path in READ_PATHS else optional
        if answer.status_code in (401, 403):
            found.append(f"/{path} (HTTP {answer.status_code})")
        elif answer.status_code not in (200, 204, 429) and answer.status_code < 500:
            found.append(f"/{path} (HTTP {answer.status_code}: {envelope_summary(answer)})")
    if refused:
        return fail("token", f"valid ({who}) but it may not read {', '.join(refused)}; a run "
                    "needs read access to " + ", ".join(f"/{p}" for p in READ_PATHS),
                    ExitCode.AUTH)  # fmt: skip
    message = f"valid ({who}); it may read " + ", ".join(f"/{p}" for p in READ_PATHS)
    if optional:
        message += (f"; not {', '.join(optional)}: runs leave those listings incomplete "
                    "(their history and pages stay empty)")  # fmt: skip
    return ok("token", message)


def _json_object(answer: httpx.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(answer.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
