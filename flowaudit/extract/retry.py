"""The one retry policy of the extractor, and what each failed answer means.

Retried: 429 (honouring `Retry-After`), 500/502/503/504, transport errors and bodies that
are not valid JSON; capped exponential backoff with full jitter; a bounded number of
attempts. Not retried: 401/403 (AuthError), 404 (NotFoundError), any other 4xx
(ApiContractError quoting the error envelope). No message ever holds the token."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from flowaudit.errors import ApiContractError, AuthError, FlowauditError
from flowaudit.secrets import scrub

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRYABLE_TRANSPORT_ERRORS = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
MAX_QUOTED_CHARS = 200


class ForbiddenError(AuthError):
    """403: the token may not read this (a Custom-scope token, a user's own token)."""


class NotFoundError(ApiContractError):
    """The API answered 404: the resource is gone (the fetcher may skip it)."""


@dataclass
class RetryPolicy:
    """How long to wait before attempt n+1, and how many attempts there are."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    # Never wait longer than this for a Retry-After: a larger value is a server bug.
    max_retry_after: float = 300.0
    retry_after_jitter: float = 0.25
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, failed_attempts: int) -> float:
        """Full jitter: a uniform wait in [0, min(cap, base * 2**(n-1))]."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, failed_attempts - 1))
        return self.rng.uniform(0.0, ceiling)

    def wait_after_throttle(self, retry_after: float | None, failed_attempts: int) -> float:
        """Wait the server's Retry-After when it gave one, else back off as for a 5xx."""
        if retry_after is None:
            return self.backoff(failed_attempts)
        # A little jitter on top (as the vendor recommends) so that paused tasks and other
        # clients of the account do not all come back in the same instant.
        return min(retry_after, self.max_retry_after) + self.rng.uniform(
            0.0, self.retry_after_jitter
        )


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: whole seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP `Date` header as an aware UTC datetime, or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def one_line(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """Scrubbed, whitespace-collapsed, shortened text fit for a one-line message."""
    flat = " ".join(scrub(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def envelope_summary(response: httpx.Response, content: bytes | None = None) -> str:
    """`code: message` of the first entry of the API's error envelope (or a body excerpt);
    content is the body when the response was streamed."""
    content = response.content if content is None else content
    try:
        errors = json.loads(content).get("errors")
        first = errors[0]
        parts = [str(first.get(key)) for key in ("code", "message") if first.get(key) is not None]
        if parts:
            return one_line(": ".join(parts))
    except (ValueError, AttributeError, TypeError, IndexError, KeyError):
        pass
    excerpt = content[:MAX_QUOTED_CHARS].decode("utf-8", "replace")
    return one_line(excerpt) if excerpt.strip() else "no error details"


def error_for_status(
    response: httpx.Response, request_name: str, content: bytes | None = None
) -> FlowauditError:
    """The error a non-retryable, non-2xx answer stands for."""
    status = response.status_code
    if status in (401, 403):
        error = ForbiddenError if status == 403 else AuthError
        return error(f"the API rejected the token (HTTP {status}) for {request_name}")
    if status == 404:
        return NotFoundError(f"the API answered 404 Not Found for {request_name}")
    return ApiContractError(
        f"the API answered HTTP {status} for {request_name}: {envelope_summary(response, content)}"
    )


def describe_transport_error(exc: httpx.TransportError) -> str:
    """A short, token-free description of a transport failure."""
    detail = one_line(str(exc), 120)
    name = exc.__class__.__name__
    return f"{name}: {detail}" if detail else name
