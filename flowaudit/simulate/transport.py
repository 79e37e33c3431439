"""httpx transports that answer from a SimulatedAccount in-process: no sockets, the same
answers (headers, faults, latency) the loopback server gives."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import httpx

from flowaudit.simulate.http_types import SimRequest, SimResponse

if TYPE_CHECKING:
    from flowaudit.simulate.account import SimulatedAccount


def _sim_request(request: httpx.Request, body: bytes) -> SimRequest:
    url = request.url
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    return SimRequest(
        method=request.method,
        path=url.path,
        query=url.query.decode("ascii"),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        origin=origin,
    )


def _httpx_response(request: httpx.Request, answer: SimResponse) -> httpx.Response:
    if answer.drop == "protocol":
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
    if answer.drop:
        raise httpx.ReadError("Connection reset by peer", request=request)
    return httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)


class SimulatorTransport(httpx.BaseTransport):
    def __init__(self, account: SimulatedAccount):
        self._account = account

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._account.handle(_sim_request(request, request.read()))
        wait = self._account.options.latency_ms / 1000 + answer.delay
        if wait:
            time.sleep(wait)
        return _httpx_response(request, answer)


class AsyncSimulatorTransport(httpx.AsyncBaseTransport):
    def __init__(self, account: SimulatedAccount):
        self._account = account

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._account.handle(_sim_request(request, await request.aread()))
        wait = self._account.options.latency_ms / 1000 + answer.delay
        if wait:
            await asyncio.sleep(wait)
        return _httpx_response(request, answer)
