"""fetch_account against the project's simulator, in-process: the staging area holds
exactly what the simulated account holds, with either audit strategy, incrementally after a
day of changes, and under injected faults and throttling."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from flowaudit.errors import AuthError
from flowaudit.extract import LISTING_KINDS, ApiClient, fetch_account
from flowaudit.secrets import Secret
from tests.extract.fakes import FakeTime, run

simulate = pytest.importorskip("flowaudit.simulate")
SimulatedAccount = simulate.SimulatedAccount
SimulatorOptions = simulate.SimulatorOptions

TOKEN = "sim-token-7c1e90"


def account(**options) -> SimulatedAccount:
    return SimulatedAccount.generate(
        size="small", seed=3, token=TOKEN, options=SimulatorOptions(**options)
    )


def fetch(acct, staging: Path, *, time: FakeTime | None = None, **fetch_options) -> dict:
    clock = {} if time is None else {"sleep": time.sleep, "clock": time.clock}

    async def main():
        async with ApiClient(
            acct.base_url, Secret(TOKEN), transport=acct.async_transport(), rate=10_000.0, **clock
        ) as client:
            return await fetch_account(client, staging, **fetch_options)

    return run(main())


def staged_ids(staging: Path, name: str) -> list[str]:
    with open(staging / name, encoding="utf-8") as handle:
        return [json.loads(line)["_id"] for line in handle]


def visible_audit_ids(acct) -> set[str]:
    return {record["_id"] for record in acct.audit_records(include_expired=False)}


def assert_listings_match(acct, staging: Path, manifest: dict) -> None:
    for kind in LISTING_KINDS:
        ids = staged_ids(staging, f"{kind}.ndjson")
        expected = {doc["_id"] for doc in acct.resources(kind)}
        assert set(ids) == expected and len(ids) == len(expected), kind
        assert manifest["listings"][kind]["complete"] is True
        assert manifest["listings"][kind]["count"] == len(expected)


def test_a_full_fetch_stages_exactly_the_account(tmp_path):
    acct = account()
    manifest = fetch(acct, tmp_path / "s")
    assert_listings_match(acct, tmp_path / "s", manifest)
    assert set(staged_ids(tmp_path / "s", "audit.ndjson")) == visible_audit_ids(acct)
    assert manifest["audit"]["mode"] == "full" and manifest["audit"]["complete"] is True
    # One second after the server's Date: a change made in that second is read too.
    assert manifest["observed_at"] == (acct.now + timedelta(seconds=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    assert len(manifest["audit"]["windows"]) == 2 * 8 + 1 + 1  # and the tail window
    assert json.loads((tmp_path / "s" / "manifest.json").read_text()) == manifest


def test_documents_are_staged_exactly_as_the_api_returned_them(tmp_path):
    acct = account()
    fetch(acct, tmp_path / "s")
    lines = (tmp_path / "s" / "flows.ndjson").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == acct.resources("flows")


def test_unquoted_rel_next_links_and_small_pages_are_followed(tmp_path):
    acct = account(link_rel_quoted=False, max_limit=7, default_limit=7)
    manifest = fetch(acct, tmp_path / "s")
    assert_listings_match(acct, tmp_path / "s", manifest)
    assert manifest["listings"]["flows"]["pages"] > 1
    assert set(staged_ids(tmp_path / "s", "audit.ndjson")) == visible_audit_ids(acct)


def test_an_incremental_fetch_after_a_day_reads_every_new_record(tmp_path):
    acct = account()
    first = fetch(acct, tmp_path / "one")
    before = visible_audit_ids(acct)
    acct.advance(hours=24)
    new = visible_audit_ids(acct) - before
    assert new, "the simulated day should have produced audit records"
    watermark = datetime.fromisoformat(first["observed_at"].replace("Z", "+00:00"))
    manifest = fetch(acct, tmp_path / "two", audit_since=watermark, overlap=timedelta(hours=6))
    staged = set(staged_ids(tmp_path / "two", "audit.ndjson"))
    assert new <= staged
    assert manifest["audit"]["mode"] == "incremental"
    # A day is one window, plus the tail to the observation time (one empty page).
    assert len(manifest["audit"]["windows"]) == 2
    assert manifest["audit"]["from"] == (watermark - timedelta(hours=6)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    assert_listings_match(acct, tmp_path / "two", manifest)


def test_the_per_flow_strategy_reads_every_listed_flows_audit_and_says_what_it_cannot_see(
    tmp_path,
):
    acct = account()
    manifest = fetch(acct, tmp_path / "s", strategy="per-flow")
    staged = set(staged_ids(tmp_path / "s", "audit.ndjson"))
    listed_flows = {doc["_id"] for doc in acct.resources("flows")}
    visible = acct.audit_records(include_expired=False)
    of_listed_flows = {r["_id"] for r in visible if r["_resourceId"] in listed_flows}
    not_flows = {r["_id"] for r in visible if r["resourceType"] != "flow"}
    assert of_listed_flows | not_flows <= staged <= visible_audit_ids(acct)
    assert manifest["audit"]["strategy"] == "per-flow"
    assert manifest["audit"]["complete"] is False
    assert manifest["audit"]["gaps"]


def test_ten_percent_faults_change_nothing_in_the_staging_area(tmp_path):
    clean = account()
    faulty = account(fault_rate=0.1, fault_seed=11, slow_seconds=0.01)
    fetch(clean, tmp_path / "clean")
    manifest = fetch(faulty, tmp_path / "faulty", time=FakeTime())
    assert manifest["retries"] > 0
    for name in [f"{kind}.ndjson" for kind in LISTING_KINDS] + ["audit.ndjson"]:
        assert set(staged_ids(tmp_path / "faulty", name)) == set(
            staged_ids(tmp_path / "clean", name)
        ), name


def test_throttling_by_the_server_is_waited_out_and_loses_nothing(tmp_path):
    time = FakeTime()
    acct = account(burst=3, refill_per_second=2.0, monotonic=time.clock)
    manifest = fetch(acct, tmp_path / "s", time=time)
    assert manifest["by_status"].get("429", 0) > 0
    assert set(staged_ids(tmp_path / "s", "audit.ndjson")) == visible_audit_ids(acct)
    assert min(time.waits) >= 0 and max(time.waits) >= 1.0  # Retry-After was waited


def test_a_token_refused_mid_run_fails_the_fetch_and_leaves_no_manifest(tmp_path):
    acct = account(forbidden_kinds=("connections",))
    with pytest.raises(AuthError, match=r"HTTP 403\) for GET /v1/connections"):
        fetch(acct, tmp_path / "s")
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_the_token_appears_in_no_staged_file_and_no_log_line(tmp_path):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("flowaudit")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        acct = account(fault_rate=0.2, fault_seed=4, slow_seconds=0.01)
        fetch(acct, tmp_path / "s", time=FakeTime(), strategy="per-flow")
        acct.advance(hours=24)
        with pytest.raises(AuthError) as info:
            fetch(account(forbidden_kinds=("flows",)), tmp_path / "t")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    assert stream.getvalue(), "the fetch should have logged something"
    assert TOKEN not in stream.getvalue() and TOKEN not in str(info.value)
    for path in (tmp_path / "s").iterdir():
        assert TOKEN not in path.read_text(encoding="utf-8"), path.name
