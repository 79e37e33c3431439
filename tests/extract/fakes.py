"""Test doubles for the extractor: a fake clock whose sleep only advances time, and a
hand-written API served through httpx.MockTransport that records every request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx

from flowaudit.extract import ApiClient
from flowaudit.secrets import Secret

BASE = "https://api.integrator.io/v1"
TOKEN = "tok-3f9a1c-SECRET-VALUE"


class FakeTime:
    """A monotonic clock that moves only when someone sleeps; every wait is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


Handler = Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """Answers requests with a handler and keeps every request it was sent."""

    def __init__(self, handler: Handler):
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]


def json_response(body: Any, *, status: int = 200, link: str | None = None, **headers: str):
    extra = dict(headers)
    if link is not None:
        extra["Link"] = link
    return httpx.Response(status, content=json.dumps(body).encode(), headers=extra)


def make_client(api: FakeApi, time: FakeTime | None = None, **options: Any) -> ApiClient:
    time = time or FakeTime()
    options.setdefault("rate", 1000.0)
    return ApiClient(
        BASE, Secret(TOKEN), transport=api.transport(), sleep=time.sleep, clock=time.clock,
        **options,
    )  # fmt: skip


def run(coroutine):
    return asyncio.run(coroutine)


async def with_client(api: FakeApi, action, time: FakeTime | None = None, **options: Any):
    """Open a client on api, run `await action(client)`, close it, return the result."""
    async with make_client(api, time, **options) as client:
        return await action(client)


def records(*ids: str) -> list[dict[str, Any]]:
    return [{"_id": identifier, "name": f"n-{identifier}"} for identifier in ids]
