"""The integrator.io HTTP client: one GET with the whole retry policy behind it.

`ApiClient.get(url)` sends the bearer token only to the configured origin, waits for the
shared rate limiter and concurrency slot, retries what is worth retrying and returns the
parsed JSON body; anything else becomes a FlowauditError with a token-free one-line message.
Each attempt has one deadline (`timeout`) for the whole answer, body included, so a server
trickling bytes cannot hold a run; a body larger than `max_body_bytes`, compressed or
decompressed, is refused as soon as it is seen to be. Text that is not valid Unicode (a
lone UTF-16 surrogate, bytes that are not UTF-8) becomes U+FFFD and is counted.
It also counts requests, retries and answers by status, and remembers the server's `Date`
of its first answer and the latest `Date` of any answer (the fetch's clock)."""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx

from flowaudit import __version__, jsonfast
from flowaudit.errors import ApiContractError, ApiUnavailableError, ConfigError, FlowauditError
from flowaudit.extract.ratelimit import InFlightCap, Throttle
from flowaudit.extract.retry import (
    RETRYABLE_STATUSES,
    RETRYABLE_TRANSPORT_ERRORS,
    RetryPolicy,
    describe_transport_error,
    error_for_status,
    one_line,
    parse_http_date,
    parse_retry_after,
)
from flowaudit.secrets import Secret, register_secret, scrub

DEFAULT_PORTS = {"http": 80, "https": 443}
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
# Only encodings decoded here, under the size cap (httpx would inflate a gzip bomb whole).
ACCEPTED_ENCODINGS = "gzip, deflate"


@dataclass(frozen=True)
class ApiAnswer:
    """A successful (2xx) answer: its parsed JSON body (None when empty) and headers."""

    url: httpx.URL
    status: int
    body: Any
    headers: httpx.Headers


@dataclass(frozen=True)
class _Failure:
    """One failed attempt that is worth another try."""

    description: str
    status: int | None = None
    retry_after: float | None = None
    malformed_body: bool = False


def origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port made explicit."""
    return (url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme))


class ApiClient:
    """Async integrator.io client; use as `async with ApiClient(url, token) as client:`."""

    def __init__(
        self,
        base_url: str,
        token: Secret,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30,
        rate: float = 150.0,
        concurrency: int = 8,
        max_attempts: int = 6,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        shared_cap: InFlightCap | None = None,
    ):
        self.base_url = httpx.URL(base_url.rstrip("/"))
        if self.base_url.scheme not in DEFAULT_PORTS or not self.base_url.host:
            raise ConfigError(f"the API URL must be an http(s) URL: {scrub(base_url)}")
        register_secret(token.reveal())
        self.concurrency = concurrency
        self.policy = RetryPolicy(max_attempts=max_attempts, rng=rng or random.Random())
        self.throttle = Throttle(
            rate=rate, concurrency=concurrency, clock=clock, sleep=sleep, shared=shared_cap
        )
        self._sleep = sleep
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._token = token
        self._transport = transport
        self._timeout = timeout
        self.max_body_bytes = max_body_bytes
        self._clock = clock
        # Set by the caller for a whole fetch: no request starts after it (see `get`).
        self.deadline: float | None = None
        self.deadline_message = "the fetch did not finish in time"
        self._http: httpx.AsyncClient | None = None
        self.requests = 0
        self.retries = 0
        self.invalid_text = 0  # characters replaced by U+FFFD
        self.by_status: Counter[int] = Counter()
        self.server_first: datetime | None = None
        self.server_latest: datetime | None = None
        self._first_answer = asyncio.Event()

    async def __aenter__(self) -> ApiClient:
        self._http = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0)),
            limits=httpx.Limits(
                max_connections=self.concurrency, max_keepalive_connections=self.concurrency
            ),
            headers={
                "Authorization": f"Bearer {self._token.reveal()}",
                "User-Agent": f"flowaudit/{__version__}",
                "Accept": "application/json",
                "Accept-Encoding": ACCEPTED_ENCODINGS,
            },
            follow_redirects=False,  # a redirect could carry the token to another host
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- addresses -------------------------------------------------------------------

    def url_for(self, path: str, params: dict[str, Any] | None = None) -> httpx.URL:
        """The absolute URL of an API path (relative to the base, e.g. "flows")."""
        url = httpx.URL(f"{self.base_url}/{path.lstrip('/')}")
        return url.copy_merge_params(params) if params else url

    def is_own_origin(self, url: httpx.URL) -> bool:
        """True when url has the configured base's scheme, host and port."""
        return origin_of(url) == origin_of(self.base_url)

    @staticmethod
    def request_name(url: httpx.URL, method: str = "GET") -> str:
        """`GET /v1/flows?limit=1000`: how messages name a request (never the host or token)."""
        return scrub(f"{method} {unquote(url.raw_path.decode('ascii', 'replace'))}")

    def reset_observation(self) -> None:
        """Forget the clock readings: the next answer's `Date` starts a new fetch."""
        self.server_first = None
        self.server_latest = None
        self._first_answer = asyncio.Event()

    async def wait_first_answer(self) -> datetime:
        """The server `Date` of the fetch's first answer (the local clock when it had none)."""
        await self._first_answer.wait()
        assert self.server_first is not None
        return self.server_first

    def local_now(self) -> datetime:
        """This machine's clock (aware UTC)."""
        return self._wall_clock()

    # -- the request loop -----------------------------------------------------------

    async def get(
        self,
        url: httpx.URL,
        *,
        on_headers: Callable[[httpx.URL, httpx.Headers], None] | None = None,
    ) -> ApiAnswer:
        """GET url with retries; a 2xx answer with its JSON body, or a FlowauditError.
        on_headers(url, headers): called when a 2xx answer's headers arrive, before its body
        is read (a pager asks for the next page then)."""
        if not self.is_own_origin(url):
            raise ApiContractError(
                f"refusing to send the token to {url.scheme}://{url.host}: "
                f"it is not the configured API host {self.base_url.host}"
            )
        name = self.request_name(url)
        failure: _Failure | None = None
        for attempt in range(1, self.policy.max_attempts + 1):
            # Checked here as well as by the caller's timeout: a server that answers at
            # once never lets the event loop run a timer, page after endless page.
            if self.deadline is not None and self._clock() >= self.deadline:
                raise ApiUnavailableError(self.deadline_message)
            if attempt > 1:
                self.retries += 1
            outcome = await self._attempt(url, name, on_headers)
            if isinstance(outcome, ApiAnswer):
                return outcome
            failure = outcome
            if attempt < self.policy.max_attempts:
                await self._wait_before_retry(failure, attempt)
        assert failure is not None
        raise self._exhausted(name, failure)

    async def _attempt(self, url: httpx.URL, name: str, on_headers=None) -> ApiAnswer | _Failure:
        if self._http is None:
            raise RuntimeError("ApiClient used outside `async with`")
        async with self.throttle.slot():
            self.requests += 1
            try:
                # One deadline for the whole answer: httpx's timeouts are per read, and a
                # server sending a byte every few seconds never trips them.
                async with asyncio.timeout(self._timeout):
                    response, content = await self._receive(url, name, on_headers)
            except TimeoutError:
                return _Failure(f"no complete answer within {self._timeout:g} s")
            except RETRYABLE_TRANSPORT_ERRORS as exc:
                return _Failure(describe_transport_error(exc))
            except httpx.TransportError as exc:
                raise ApiUnavailableError(
                    f"cannot send {name}: {describe_transport_error(exc)}"
                ) from None
            except _BadEncoding as exc:
                self._note_answer(exc.response)
                return _Failure(f"undecodable body ({exc.reason})", malformed_body=True)
        self._note_answer(response)
        return self._judge(response, content, name)

    async def _receive(self, url: httpx.URL, name: str, on_headers=None) -> tuple[httpx.Response, bytes]:
        assert self._http is not None
        async with self._http.stream("GET", url) as response:
            if on_headers is not None and 200 <= response.status_code < 300:
                on_headers(response.url, response.headers)
            content = await read_body(response, self.max_body_bytes, name)
        return response, content

    def _judge(self, response: httpx.Response, content: bytes, name: str) -> ApiAnswer | _Failure:
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            return _Failure(
                f"HTTP {status}",
                status=status,
                retry_after=parse_retry_after(
                    response.headers.get("Retry-After"), now=self._server_now(response)
                ),
            )
        if not 200 <= status < 300:
            raise error_for_status(response, name, content)
        try:
            body, replaced = jsonfast.loads_answer(content) if content.strip() and status != 204 else (None, 0)
        except jsonfast.TooDeepError:
            raise ApiContractError(
                f"the answer to {name} nests JSON deeper than {jsonfast.MAX_DEPTH} levels; "
                "flowaudit cannot hold it"
            ) from None
        except ValueError as exc:
            return _Failure(f"malformed JSON ({_first_line(exc)})", malformed_body=True)
        self.invalid_text += replaced
        return ApiAnswer(
            url=response.request.url, status=status, body=body, headers=response.headers
        )

    async def _wait_before_retry(self, failure: _Failure, failed_attempts: int) -> None:
        if failure.status == 429:
            # Shared: every task of the run pauses, not only this one.
            self.throttle.pause(
                self.policy.wait_after_throttle(failure.retry_after, failed_attempts)
            )
        else:
            # A 503 may say when to come back too; never sooner than the backoff.
            wait = self.policy.backoff(failed_attempts)
            if failure.retry_after is not None:
                wait = max(wait, min(failure.retry_after, self.policy.max_retry_after))
            await self._sleep(wait)

    def _exhausted(self, name: str, failure: _Failure) -> FlowauditError:
        attempts = self.policy.max_attempts
        if failure.malformed_body:
            return ApiContractError(
                f"the API answered {failure.description} {attempts} times for {name}"
            )
        return ApiUnavailableError(
            f"giving up on {name} after {attempts} attempts; last failure: {failure.description}"
        )

    def _note_answer(self, response: httpx.Response) -> None:
        self.by_status[response.status_code] += 1
        date = parse_http_date(response.headers.get("Date"))
        if date is not None and (self.server_latest is None or date > self.server_latest):
            self.server_latest = date
        if self.server_first is None:
            self.server_first = date or self._wall_clock()
            self._first_answer.set()

    def _server_now(self, response: httpx.Response) -> datetime:
        return parse_http_date(response.headers.get("Date")) or self._wall_clock()

    def counters(self) -> dict[str, Any]:
        """Requests sent, retries made and answers by HTTP status so far."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "invalid_text": self.invalid_text,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
        }


class _BadEncoding(Exception):
    """The body's Content-Encoding could not be decoded (a damaged gzip stream)."""

    def __init__(self, response: httpx.Response, reason: str):
        super().__init__(reason)
        self.response = response
        self.reason = reason


async def read_body(response: httpx.Response, limit: int, name: str) -> bytes:
    """The decoded body of a streamed answer, refusing it as soon as it is seen to be larger
    than limit bytes, compressed or decompressed (ApiContractError: retrying would not help)."""
    too_large = ApiContractError(
        f"the answer to {name} is larger than {limit / 1_048_576:g} MB (max_response_mb); "
        "refusing to read it"
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    decoder = _decoder_for(response, name)
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_raw():
            if response.num_bytes_downloaded > limit:
                raise too_large
            data = decoder.decode(chunk, limit - size + 1) if decoder else chunk
            size += len(data)
            if size > limit:
                raise too_large
            parts.append(data)
        if decoder:
            data = decoder.finish(limit - size + 1)
            size += len(data)
            if size > limit:
                raise too_large
            parts.append(data)
    except httpx.StreamConsumed:
        # An in-process transport (the simulator's, a test double) built the answer with its
        # body already read and decoded: it is in memory, only its size is left to check.
        content = response.content
        if len(content) > limit:
            raise too_large from None
        return content
    except zlib.error as exc:
        raise _BadEncoding(response, f"{response.headers.get('Content-Encoding')}: {exc}") from None
    return b"".join(parts)


class _Inflater:
    """gzip or deflate decoding that never produces more than it is allowed to."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        bits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(bits)
        self._started = False

    def decode(self, chunk: bytes, max_length: int) -> bytes:
        try:
            data = self._inflate.decompress(chunk, max_length)
        except zlib.error:
            if self.encoding != "deflate" or self._started:
                raise
            # "deflate" is sent both with and without the zlib wrapper.
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            data = self._inflate.decompress(chunk, max_length)
        self._started = True
        return data

    def finish(self, max_length: int) -> bytes:
        data = self._inflate.decompress(self._inflate.unconsumed_tail, max_length)
        if len(data) < max_length:
            data += self._inflate.flush()
        if not self._inflate.eof:
            raise zlib.error("the compressed stream ends early")
        return data


def _decoder_for(response: httpx.Response, name: str) -> _Inflater | None:
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater("deflate" if encoding == "deflate" else "gzip")
    raise ApiContractError(
        f"the answer to {name} is encoded as {one_line(encoding, 40)!r}, which flowaudit did not "
        f"ask for (it accepts {ACCEPTED_ENCODINGS})"
    )


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else exc.__class__.__name__
