"""fetch_account reads the whole account: scripts' code by id only where lastModified moved,
a listing the token may not read left incomplete (for the types a run can do without), the
recycle bin, and nothing captured or secret ever written to the staging area."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from flowaudit.extract import ApiClient, fetch_account
from flowaudit.extract.paging import page_records, recycle_bin_entry_id
from flowaudit.secrets import Secret
from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from tests.extract.fakes import run

TOKEN = "whole-account-token-5a"


def account(**options) -> SimulatedAccount:
    return SimulatedAccount.generate(
        size="small", seed=6, token=TOKEN, options=SimulatorOptions(**options)
    )


def fetch(acct, staging: Path, transport=None, **options) -> dict:
    async def main():
        async with ApiClient(acct.base_url, Secret(TOKEN), transport=transport or acct.async_transport(),
                             rate=10_000.0) as client:  # fmt: skip
            return await fetch_account(client, staging, **options)

    return run(main())


def staged(staging: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (staging / name).read_text(encoding="utf-8").splitlines()]


def by_id_requests(acct) -> int:
    return acct.counters["by_route"].get("GET /v1/scripts/<id>", 0)


def test_scripts_code_is_read_by_id_only_for_new_scripts_and_those_whose_lastmodified_moved(
    tmp_path,
):
    acct = account()
    first = fetch(acct, tmp_path / "1")
    scripts = staged(tmp_path / "1", "scripts.ndjson")
    assert scripts and all("content" in doc for doc in scripts)
    assert first["script_content"]["content_requests"] == len(scripts) == by_id_requests(acct)

    known = {doc["_id"]: doc["lastModified"] for doc in scripts}
    before = by_id_requests(acct)
    acct.advance(hours=24)
    changed = {
        doc["_id"]
        for doc in acct.resources("scripts")
        if known.get(doc["_id"]) != doc["lastModified"]
    }
    second = fetch(acct, tmp_path / "2", known_scripts=known)
    assert changed and second["script_content"]["content_requests"] == len(changed)
    assert by_id_requests(acct) - before == len(changed)
    again = staged(tmp_path / "2", "scripts.ndjson")
    assert {doc["_id"] for doc in again if "content" in doc} == changed
    assert second["script_content"]["content_unchanged"] == len(again) - len(changed)


def test_a_script_deleted_between_the_listing_and_its_code_is_left_out(tmp_path):
    acct = account()
    victim = acct.resources("scripts")[0]["_id"]
    inner = acct.async_transport()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/v1/scripts/{victim}":
            body = b'{"errors":[{"code":"not_found","message":"Script not found."}]}'
            return httpx.Response(404, content=body, headers={"Content-Type": "application/json"})
        return await inner.handle_async_request(request)

    manifest = fetch(acct, tmp_path / "s", transport=httpx.MockTransport(handler))
    assert manifest["script_content"]["deleted_during_fetch"] == 1
    assert victim not in {doc["_id"] for doc in staged(tmp_path / "s", "scripts.ndjson")}
    assert manifest["listings"]["scripts"]["complete"] is True


def test_a_listing_the_token_may_not_read_is_incomplete_and_the_run_goes_on(tmp_path):
    acct = account(forbidden_kinds=("ashares", "accesstokens", "recycleBinTTL"))
    manifest = fetch(acct, tmp_path / "s")
    for kind in ("users", "access_tokens"):
        assert manifest["listings"][kind] == {
            "complete": False, "count": 0, "pages": 0, "unavailable": "HTTP 403, the token may not read it"
        }  # fmt: skip
    assert manifest["recycle_bin"]["complete"] is False
    assert (
        manifest["listings"]["flows"]["complete"] is True and manifest["audit"]["complete"] is True
    )


def test_the_recycle_bin_is_staged_with_each_entrys_last_content(tmp_path):
    acct = account()
    manifest = fetch(acct, tmp_path / "s")
    entries = staged(tmp_path / "s", "recycle_bin.ndjson")
    assert (
        manifest["recycle_bin"] == {"complete": True, "count": len(entries), "pages": 1} and entries
    )
    deleted = {
        (r["resourceType"], r["_resourceId"])
        for r in acct.audit_records()
        if r["event"] == "delete"
    }
    models = {"flows": "flow", "exports": "export", "imports": "import", "scripts": "script",
              "lookupcaches": "lookupcache"}  # fmt: skip
    for entry in entries:
        assert (models.get(entry["model"], entry["model"]), entry["doc"]["_id"]) in deleted


def test_recycle_bin_entries_are_identified_by_model_and_id():
    assert recycle_bin_entry_id({"model": "flows", "doc": {"_id": "f1"}}) == "flows/f1"
    assert recycle_bin_entry_id({"model": "flows", "doc": {}}) is None
    body = [{"model": "flows", "doc": {"_id": "f1"}}]
    assert page_records(body, where="x", identify=recycle_bin_entry_id) == body


def test_nothing_captured_and_no_token_value_is_ever_staged(tmp_path):
    acct = account()
    served = json.dumps([acct.resources(kind) for kind in ("exports", "imports", "access_tokens")])
    served += json.dumps(acct.resources("scripts")) + json.dumps(acct.audit_records())
    sensitive = acct.sensitive_strings()
    assert [s for s in sensitive if s in served], (
        "the simulator must serve some for this test to mean anything"
    )
    manifest = fetch(acct, tmp_path / "s")
    for path in (tmp_path / "s").iterdir():
        text = path.read_text(encoding="utf-8")
        assert [s for s in sensitive if s in text] == [], path.name
    assert (
        manifest["scrubbed"]["captured_fields"] > 0 and manifest["scrubbed"]["secrets_masked"] > 0
    )
    assert manifest["scrubbed"]["never_stored_dropped"] == len(acct.resources("access_tokens"))
