"""Politeness: the shared token bucket keeps the rate, the semaphore bounds requests in
flight, and a 429 pauses every task, not only the one that met it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from flowaudit.extract import ApiClient
from flowaudit.extract.ratelimit import Throttle, TokenBucket, first_served
from flowaudit.secrets import Secret
from tests.extract.fakes import BASE, TOKEN, FakeApi, FakeTime, json_response, run, with_client


def test_the_bucket_keeps_the_rate_after_its_burst():
    time = FakeTime()
    bucket = TokenBucket(rate=10.0, burst=3, clock=time.clock, sleep=time.sleep)
    start = time.now
    stamps: list[float] = []

    async def take(n):
        for _ in range(n):
            await bucket.acquire()
            stamps.append(time.now)

    async def many_tasks():
        await asyncio.gather(*(take(10) for _ in range(5)))

    run(many_tasks())
    assert len(stamps) == 50
    # 3 at once, then one every 1/10 s: 47 more take 4.7 s.
    assert time.now - start == pytest.approx(4.7, abs=1e-6)
    # In any span of T seconds, at most burst + rate * T acquisitions.
    for i in range(len(stamps)):
        for j in range(i + 1, len(stamps)):
            assert j - i + 1 <= 3 + 10.0 * (stamps[j] - stamps[i]) + 1e-6


def test_the_throttle_lets_a_seconds_worth_go_at_once_then_keeps_the_rate():
    # A night's few hundred requests start without waiting on tokens; a longer run still
    # averages the configured rate (a second's worth ahead at most).
    time = FakeTime()
    throttle = Throttle(rate=20.0, concurrency=100, clock=time.clock, sleep=time.sleep)
    stamps: list[float] = []

    async def request():
        async with throttle.slot():
            stamps.append(time.now)

    async def main():
        await asyncio.gather(*(request() for _ in range(120)))

    start = time.now
    run(main())
    assert sum(1 for stamp in stamps if stamp == start) == 20
    assert time.now - start == pytest.approx(100 / 20.0, abs=1e-6)


def test_a_pause_holds_every_later_acquisition():
    time = FakeTime()
    bucket = TokenBucket(rate=100.0, burst=5, clock=time.clock, sleep=time.sleep)
    bucket.pause(3.0)
    start = time.now

    async def take_two():
        await asyncio.gather(bucket.acquire(), bucket.acquire())

    run(take_two())
    assert time.now - start >= 3.0


def test_the_throttle_bounds_requests_in_flight():
    time = FakeTime()
    throttle = Throttle(rate=1000.0, concurrency=3, clock=time.clock, sleep=time.sleep)
    in_flight, peak = 0, 0

    async def request():
        nonlocal in_flight, peak
        async with throttle.slot():
            in_flight += 1
            peak = max(peak, in_flight)
            for _ in range(5):
                await asyncio.sleep(0)
            in_flight -= 1

    async def main():
        await asyncio.gather(*(request() for _ in range(20)))

    run(main())
    assert peak == 3 and throttle.max_in_flight == 3


def test_requests_made_first_served_get_a_freed_slot_before_the_others():
    """A listing's pages (first served) overtake job pages and error summaries waiting for a
    slot; within a priority, arrival order holds; a cancelled waiter gives its turn away."""
    time = FakeTime()
    throttle = Throttle(rate=1000.0, concurrency=1, clock=time.clock, sleep=time.sleep)
    order: list[str] = []
    release = asyncio.Event()

    async def request(name: str, hold: bool = False):
        async with throttle.slot():
            order.append(name)
            if hold:
                await release.wait()

    async def listing(name: str):
        with first_served():
            await request(name)

    async def main():
        holder = asyncio.create_task(request("holder", hold=True))
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(request("job-1")), asyncio.create_task(request("job-2"))]
        cancelled = asyncio.create_task(listing("listing-cancelled"))
        waiting += [asyncio.create_task(listing("listing-1")), asyncio.create_task(listing("listing-2"))]
        for _ in range(3):
            await asyncio.sleep(0)
        cancelled.cancel()
        release.set()
        await asyncio.gather(holder, *waiting)

    run(main())
    assert order == ["holder", "listing-1", "listing-2", "job-1", "job-2"]


def test_the_client_never_has_more_requests_in_flight_than_its_concurrency():
    in_flight, peak = 0, 0

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            for _ in range(10):
                await asyncio.sleep(0)
            in_flight -= 1
            return json_response([])

    async def action(client):
        urls = [httpx.URL(f"{BASE}/flows/{n}") for n in range(30)]
        await asyncio.gather(*(client.get(url) for url in urls))
        return client.requests

    async def main():
        time = FakeTime()
        async with ApiClient(
            BASE, Secret(TOKEN), transport=SlowTransport(), concurrency=4, rate=1000.0,
            sleep=time.sleep, clock=time.clock,
        ) as client:  # fmt: skip
            return await action(client)

    assert run(main()) == 30
    assert peak == 4


def test_a_429_pauses_the_other_tasks_too():
    time = FakeTime()
    sent_at: dict[str, list[float]] = {}
    throttled = {"done": False}

    def handler(request):
        sent_at.setdefault(request.url.path, []).append(time.now)
        if request.url.path.endswith("/a") and not throttled["done"]:
            throttled["done"] = True
            return json_response([], status=429, **{"Retry-After": "5"})
        return json_response([])

    api = FakeApi(handler)

    async def action(client):
        await client.get(httpx.URL(f"{BASE}/a"))  # meets the 429, pauses everyone
        await asyncio.gather(client.get(httpx.URL(f"{BASE}/b")), client.get(httpx.URL(f"{BASE}/c")))

    start = time.now
    run(with_client(api, action, time))
    assert sent_at["/v1/a"][1] - start >= 5.0
    assert sent_at["/v1/b"][0] - start >= 5.0 and sent_at["/v1/c"][0] - start >= 5.0
