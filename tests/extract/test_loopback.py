"""The client over real sockets on 127.0.0.1: a full fetch from the served simulator with
dropped connections, a closed port and a server that never answers, each ending in the
documented error naming the request (never the token)."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from flowaudit.documents.scrub import Scrubber
from flowaudit.errors import ApiUnavailableError
from flowaudit.extract import LISTING_KINDS, ApiClient, fetch_account
from flowaudit.registry import BY_LISTING
from flowaudit.secrets import Secret
from tests.extract.fakes import FakeTime, run

TOKEN = "loopback-token-51aa"


def get_flows(base_url: str, **options):
    time = FakeTime()

    async def main():
        async with ApiClient(base_url, Secret(TOKEN), sleep=time.sleep, clock=time.clock,
                             **options) as client:  # fmt: skip
            await client.get(client.url_for("flows", {"limit": 1000}))

    run(main())


def test_a_closed_port_is_retried_then_reported_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ApiUnavailableError) as info:
        get_flows(f"http://127.0.0.1:{port}/v1", max_attempts=3)
    message = str(info.value)
    assert message.startswith("giving up on GET /v1/flows?limit=1000 after 3 attempts")
    assert "ConnectError" in message and TOKEN not in message


def test_a_server_that_never_answers_times_out_and_is_reported():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_say_nothing():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_say_nothing, daemon=True)
    thread.start()
    try:
        with pytest.raises(
            ApiUnavailableError, match=r"after 2 attempts; last failure: no complete answer within 0.2 s"
        ):
            get_flows(
                f"http://127.0.0.1:{listener.getsockname()[1]}/v1", max_attempts=2, timeout=0.2
            )
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_fetch_over_loopback_with_dropped_connections_stages_the_whole_account(tmp_path):
    simulate = pytest.importorskip("flowaudit.simulate")
    from flowaudit.simulate.server import serve

    options = simulate.SimulatorOptions(
        fault_rate=0.1, fault_seed=5, fault_kinds=("drop", "truncated", "502"), latency_ms=1
    )
    account = simulate.SimulatedAccount.generate("small", seed=2, token=TOKEN, options=options)
    time = FakeTime()

    async def main():
        async with ApiClient(handle.url, Secret(TOKEN), sleep=time.sleep, clock=time.clock,
                             rate=10_000.0) as client:  # fmt: skip
            return await fetch_account(client, tmp_path / "s")

    with serve(account) as handle:
        manifest = run(main())
    assert manifest["retries"] > 0
    for kind in LISTING_KINDS:
        lines = (tmp_path / "s" / f"{kind}.ndjson").read_text().splitlines()
        # As the API served them, once scrubbed (captured payloads, secrets, token values).
        rtype = BY_LISTING[kind].name
        assert [json.loads(line) for line in lines] == [
            Scrubber().document(doc, rtype) for doc in account.resources(kind)
        ]
    audit = (tmp_path / "s" / "audit.ndjson").read_text().splitlines()
    expected = {r["_id"] for r in account.audit_records(include_expired=False)}
    assert {json.loads(line)["_id"] for line in audit} == expected
