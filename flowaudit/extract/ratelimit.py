"""Client-side politeness: a token bucket shared by every task of a run, a bound on
requests in flight, and a shared pause after a 429.

The nightly job runs next to the account's production flows, which draw on the same
per-account rate limit; so the job keeps under a configured rate on its own, and when the
server says "retry after N seconds" every task waits, not only the one that was told.
Several accounts fetched at once each keep their own rate and bound, and share one cap on
the requests in flight of the whole process (`InFlightCap`).

Requests made inside `first_served()` get the next free slot before the others: the pages
of a listing must follow one another (each `Link` is read before the next page can be
asked for), so the longest listing is the run's critical path, while the many pages of job
windows and the open-error summaries can go in any order."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from contextvars import ContextVar

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]
_EPSILON = 1e-6
FIRST, NORMAL = 0, 1
_priority: ContextVar[int] = ContextVar("flowaudit_request_priority", default=NORMAL)


@contextmanager
def first_served() -> Iterator[None]:
    """The requests made inside (and in the tasks started inside) go before the others."""
    token = _priority.set(FIRST)
    try:
        yield
    finally:
        _priority.reset(token)


class PrioritySlots:
    """`limit` slots; when one frees, the waiter of the lowest priority number gets it (in
    arrival order within a priority)."""

    def __init__(self, limit: int):
        self._free = limit
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    async def acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release()  # given the slot just as it was cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():  # a cancelled waiter is skipped
                waiter.set_result(None)
                return
        self._free += 1

    @asynccontextmanager
    async def held(self, priority: int) -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()


class TokenBucket:
    """At most `rate` acquisitions a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: float, *, clock: Clock, sleep: Sleep):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = float("-inf")
        # One waiter at a time: tokens go out in arrival order and no waiter can starve.
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for a token (and for any shared pause to end), then take it."""
        async with self._lock:
            while True:
                now = self._clock()
                if self._paused_until - now > _EPSILON:
                    await self._sleep(self._paused_until - now)
                    continue
                self._refill(now)
                # The tolerance keeps float rounding from turning the wait into a spin.
                if self._tokens >= 1 - _EPSILON:
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                await self._sleep((1 - self._tokens) / self._rate)

    def pause(self, seconds: float) -> None:
        """Make every later acquisition wait until `seconds` from now (a shared back-off)."""
        until = self._clock() + max(0.0, seconds)
        if until > self._paused_until:
            self._paused_until = until
            # The server said the account is out of budget: start again from an empty bucket.
            self._tokens = 0.0
            self._updated = until

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now


class InFlightCap:
    """At most `limit` requests in flight across every client that shares it."""

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError("the cap on requests in flight must be at least 1")
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.max_in_flight = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1


class Throttle:
    """The rate limiter and the concurrency bound together: one slot per request sent."""

    def __init__(
        self,
        *,
        rate: float,
        concurrency: int,
        clock: Clock,
        sleep: Sleep,
        shared: InFlightCap | None = None,
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        # A second's worth of the rate at once (the account's bucket holds 1,000 and
        # refills at 300/s): a night's few hundred requests are not spread over seconds
        # they need not take, and over any longer span the rate still holds.
        burst = max(1.0, rate)
        self.bucket = TokenBucket(rate, burst, clock=clock, sleep=sleep)
        self._slots = PrioritySlots(concurrency)
        self._shared = shared
        self.in_flight = 0
        self.max_in_flight = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the concurrent slots and one token of the rate for one request
        (requests made inside `first_served()` get a freed slot first)."""
        async with self._slots.held(_priority.get()):
            await self.bucket.acquire()
            # The shared cap last: a request waiting for its own account's rate holds no
            # place another account could use. It may then go out later than its token
            # said, never sooner.
            async with self._shared.slot() if self._shared else nullcontext():
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    yield
                finally:
                    self.in_flight -= 1

    def pause(self, seconds: float) -> None:
        """Every task waits `seconds` before its next request (after a 429)."""
        self.bucket.pause(seconds)
