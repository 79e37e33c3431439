"""The loopback server: same answers as in-process, admin routes, and `flowaudit simulate`
as a real subprocess that a client pages through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.server import serve
from tests.simulate.conftest import ROOMY, page_all


@pytest.fixture
def served():
    account = SimulatedAccount.generate("small", options=ROOMY)
    with serve(account) as handle:
        yield account, handle


def test_the_server_answers_like_the_transport(served):
    account, handle = served
    assert handle.url.startswith("http://127.0.0.1:") and account.base_url == handle.url
    with httpx.Client(base_url=handle.url, headers={"Authorization": "Bearer demo"}) as c:
        flows, pages = page_all(c, "/flows", {"limit": 7})
        response = c.get("/flows", params={"limit": 7})
        records, _ = page_all(c, "/audit", {"limit": 1000})
        assert c.get("/flows/0123456789abcdef01234567").status_code == 404
    assert flows == account.resources("flows") and pages > 1
    assert response.headers["link"].startswith(f"<{handle.url}/flows?")
    assert response.headers["date"] == "Sun, 01 Nov 2026 02:00:00 GMT"
    assert records == account.audit_records()


def test_admin_routes_advance_time_and_count_requests(served):
    account, handle = served
    with httpx.Client(base_url=handle.origin) as c:
        assert c.get("/_sim/now").json() == {"now": "2026-11-01T02:00:00.000Z"}
        c.get("/v1/flows")  # unauthenticated: counted as a 401
        summary = c.post("/_sim/advance", params={"hours": 48, "silent": 2}).json()
        assert summary["silent_changes"] == 2 and summary["now"] == "2026-11-03T02:00:00Z"
        assert c.get("/_sim/now").json() == {"now": "2026-11-03T02:00:00.000Z"}
        counters = c.get("/_sim/counters").json()
        assert counters["by_status"]["401"] == 1 and counters["by_route"]["GET /v1/flows"] == 1
        assert counters["requests"] == 1  # admin routes are not counted
        assert c.post("/_sim/faults", params={"rate": 1, "seed": 3}).status_code == 200
        assert c.post("/_sim/advance", params={"hours": "soon"}).status_code == 400
    assert len(account.silent_change_log) == 2


def test_a_dropped_connection_closes_the_socket():
    options = SimulatorOptions(fault_rate=1.0, fault_kinds=("drop",))
    with (
        serve(SimulatedAccount.generate("small", options=options)) as handle,
        httpx.Client(base_url=handle.url, headers={"Authorization": "Bearer demo"}) as c,
        pytest.raises(httpx.TransportError),
    ):
        c.get("/flows")


def test_serving_a_busy_port_is_a_usage_error(served):
    from flowaudit.errors import UsageError

    _, handle = served
    port = int(handle.origin.rsplit(":", 1)[1])
    with pytest.raises(UsageError, match="cannot listen"):
        serve(SimulatedAccount.generate("small"), port=port)


def test_flowaudit_simulate_serves_over_loopback_until_terminated():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flowaudit", "simulate", "--port", "0", "--size", "small", "--seed", "2",
         "--token", "s3cret-token"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1"), url
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer s3cret-token"}, timeout=10) as c:
            flows, pages = page_all(c, "/flows", {"limit": 10})
            assert c.get("/flows", headers={"Authorization": "Bearer demo"}).status_code == 401
        expected = SimulatedAccount.generate("small", seed=2, token="s3cret-token").resources("flows")
        assert json.dumps(flows) == json.dumps(expected) and pages == 4
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "s3cret-token" not in stderr and "40 flows" in stderr


def test_flowaudit_simulate_rejects_a_bad_size():
    result = subprocess.run([sys.executable, "-m", "flowaudit", "simulate", "--size", "huge", "--port", "0"],
                            capture_output=True, text=True, timeout=30)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("flowaudit: error: unknown size 'huge'")


def test_flowaudit_simulate_has_help():
    from typer.testing import CliRunner

    from flowaudit.cli import app

    result = CliRunner().invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    for option in ("--port", "--size", "--seed", "--token", "--latency-ms", "--rate", "--burst", "--fault-rate"):
        assert option in result.output


def test_forty_connections_opened_at_once_are_all_accepted_at_once(served):
    """A client starting its run opens as many connections as it has requests in flight;
    none may be dropped and retried a second later (a listen backlog of 5 did that)."""
    import asyncio
    import time

    _account, handle = served

    async def fetch_all() -> list[float]:
        limits = httpx.Limits(max_connections=40, max_keepalive_connections=40)
        async with httpx.AsyncClient(base_url=handle.url, limits=limits,
                                     headers={"Authorization": "Bearer demo"}) as client:  # fmt: skip
            async def one() -> float:
                started = time.monotonic()
                response = await client.get("/integrations")
                assert response.status_code == 200
                return time.monotonic() - started

            return await asyncio.gather(*(one() for _ in range(40)))

    took = asyncio.run(fetch_all())
    assert max(took) < 0.9, sorted(took)[-5:]  # a dropped SYN is resent after 1 s
