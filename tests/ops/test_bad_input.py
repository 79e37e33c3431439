"""Bad input, answered: each thing the API, the disk or the user can get wrong, end to end
through `run_extract` (or `run_nightly`) with the simulator's answers altered on the way.
Each gets a one-line message and its documented exit code, and nothing stored before is lost.

Decided here: a value of the wrong type (a string `disabled`, a number `name`) is stored as
given in the raw JSON; the views show text columns as its text and boolean columns as
TRY_CAST (NULL when it is not a boolean); nothing crashes. Unknown fields are kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import httpx
import pytest

from flowaudit.config import resolve_settings
from flowaudit.errors import ExitCode, FlowauditError
from flowaudit.pipeline import run_extract, run_nightly
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import query, snapshot

TOKEN = "bad-tok-8c7b6a5f4e3d"
Alter = Callable[[httpx.Request, httpx.Response], httpx.Response | None]


def _account() -> SimulatedAccount:
    return SimulatedAccount.generate("small", seed=12, token=TOKEN)


def tampered(account: SimulatedAccount, alter: Alter, seen: list[httpx.Request] | None = None):
    """The simulator behind an httpx.MockTransport; alter(request, answer) may replace answers."""
    inner = account.async_transport()

    async def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.url.host != "api.integrator.io":
            return httpx.Response(200, json=[])  # a foreign host: must never be asked
        answer = await inner.handle_async_request(request)
        await answer.aread()
        return alter(request, answer) or answer

    return httpx.MockTransport(handler)


def _settings(db: Path, account: SimulatedAccount, **flags):
    return resolve_settings(
        {"db": db, "api_url": account.base_url, "max_attempts": 2, **flags},
        environ={"FLOWAUDIT_TOKEN": TOKEN},
    )


def _run(db: Path, account: SimulatedAccount, alter: Alter | None = None, **kwargs):
    transport = tampered(account, alter or (lambda request, answer: None))
    return run_extract(_settings(db, account), transport=transport, **kwargs)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after one good run: what every failure below must leave intact."""
    db = tmp_path_factory.mktemp("stored") / "a.duckdb"
    _run(db, _account())
    return db


@pytest.fixture
def db(stored: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "a.duckdb"
    copy.write_bytes(stored.read_bytes())
    return copy


def _answer(answer: httpx.Response, body: bytes, **headers: str) -> httpx.Response:
    kept = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "link")}
    return httpx.Response(answer.status_code, headers={**kept, **headers}, content=body)


def _is(request: httpx.Request, path: str) -> bool:
    return request.url.path == f"/v1/{path}"


def _fails_cleanly(db: Path, account, alter: Alter, code: ExitCode, words: str, **kwargs) -> str:
    before = snapshot(db)
    with pytest.raises(FlowauditError) as caught:
        _run(db, account, alter, **kwargs)
    message = caught.value.message
    assert caught.value.exit_code == code, message
    assert words in message
    assert "\n" not in message and TOKEN not in message
    assert snapshot(db) == before, "a failed run must not change what was stored"
    status, error = query(db, "SELECT status, error FROM runs ORDER BY run_id DESC LIMIT 1")[0]
    assert status == "failed" and words in error
    return message


# -- the API answers something it must not ------------------------------------------------


def test_malformed_json_in_a_page(db: Path):
    def alter(request, answer):
        if _is(request, "flows"):
            return _answer(answer, answer.content[: len(answer.content) // 3])

    _fails_cleanly(db, _account(), alter, ExitCode.API_CONTRACT, "malformed JSON")


def test_a_page_that_is_not_an_array(db: Path):
    def alter(request, answer):
        if _is(request, "integrations"):
            return _answer(answer, b'{"data": [], "total": 0}')

    message = _fails_cleanly(db, _account(), alter, ExitCode.API_CONTRACT, "expected a JSON array")
    assert message.startswith("/integrations page 1:")


def test_a_record_without_an_id(db: Path):
    def alter(request, answer):
        if _is(request, "exports"):
            records = json.loads(answer.content)
            del records[2]["_id"]
            return _answer(answer, json.dumps(records).encode())

    _fails_cleanly(db, _account(), alter, ExitCode.API_CONTRACT, "record 3 has no string _id")


def test_a_link_loop(db: Path):
    def alter(request, answer):
        if _is(request, "connections"):
            return _answer(answer, answer.content, Link=f'<{request.url}>; rel="next"')

    _fails_cleanly(db, _account(), alter, ExitCode.API_CONTRACT, "page loop")


def test_a_next_link_to_another_host_is_refused_before_anything_is_sent(db: Path):
    seen: list[httpx.Request] = []

    def alter(request, answer):
        if _is(request, "imports"):
            link = '<https://collector.example.net/v1/imports?after=x>; rel="next"'
            return _answer(answer, answer.content, Link=link)

    before = snapshot(db)
    with pytest.raises(FlowauditError) as caught:
        run_extract(_settings(db, _account()), transport=tampered(_account(), alter, seen))
    assert caught.value.exit_code == ExitCode.API_CONTRACT
    assert "refusing the next link to https://collector.example.net" in caught.value.message
    assert {request.url.host for request in seen} == {"api.integrator.io"}
    assert snapshot(db) == before


def test_a_token_revoked_in_the_middle_of_a_run(db: Path):
    answered = []

    def alter(request, answer):
        answered.append(request)
        if len(answered) > 3:
            body = b'{"errors":[{"code":"unauthorized","message":"Invalid or expired API token."}]}'
            return httpx.Response(401, content=body, headers={"Content-Type": "application/json"})

    _fails_cleanly(db, _account(), alter, ExitCode.AUTH, "rejected the token (HTTP 401)")
    assert len(answered) > 3


# -- the API answers something odd but legitimate: kept as given -------------------------


def _flow_altered(change: Callable[[dict], None]) -> Alter:
    def alter(request, answer):
        if _is(request, "flows"):
            records = json.loads(answer.content)
            change(records[0])
            return _answer(answer, json.dumps(records).encode())

    return alter


def _first_flow_id(account: SimulatedAccount) -> str:
    return sorted(flow["_id"] for flow in account.resources("flows"))[0]


def test_wrong_types_are_stored_as_given_and_the_views_still_answer(db: Path):
    account = _account()
    flow_id = _first_flow_id(account)

    def change(flow: dict) -> None:
        flow["disabled"] = "sometimes"
        flow["name"] = 12345

    result = _run(db, account, _flow_altered(change))
    assert result.status == "succeeded"
    raw = query(db, "SELECT doc FROM store.latest_documents WHERE resource_id = ?", [flow_id])
    doc = json.loads(raw[0][0])
    assert (doc["disabled"], doc["name"]) == ("sometimes", 12345)
    assert query(db, "SELECT name, disabled FROM flows WHERE flow_id = ?", [flow_id]) == [
        ("12345", None)
    ]
    # Every public view still answers over the odd document.
    for (view,) in query(
        db, "SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
    ):
        query(db, f'SELECT count(*) FROM "{view}"')


def test_unknown_fields_are_kept_in_the_raw_document(db: Path):
    account = _account()
    flow_id = _first_flow_id(account)
    novelty = {"mode": "agentic", "limits": [1, 2, {"deep": None}]}
    result = _run(db, account, _flow_altered(lambda flow: flow.update(aiSettings=novelty)))
    assert result.status == "succeeded"
    latest = query(db, "SELECT doc FROM flows WHERE flow_id = ?", [flow_id])[0][0]
    assert json.loads(latest)["aiSettings"] == novelty
    version = query(
        db, "SELECT doc FROM flow_versions WHERE flow_id = ? AND valid_to IS NULL", [flow_id]
    )[0][0]
    assert json.loads(version)["aiSettings"] == novelty  # a new version: its content changed


def test_a_huge_value_is_stored_whole(db: Path):
    account = _account()
    flow_id = _first_flow_id(account)
    huge = "x" * (5 * 1024 * 1024)
    result = _run(db, account, _flow_altered(lambda flow: flow.update(description=huge)))
    assert result.status == "succeeded"
    assert query(db, "SELECT length(description) FROM flows WHERE flow_id = ?", [flow_id]) == [
        (len(huge),)
    ]


def test_a_flow_deleted_between_the_listing_and_its_audit_request(db: Path):
    account = _account()
    gone = _first_flow_id(account)
    before = snapshot(db)

    def alter(request, answer):
        if _is(request, f"flows/{gone}/audit"):
            body = b'{"errors":[{"code":"not_found","message":"Not found."}]}'
            return httpx.Response(404, content=body, headers={"Content-Type": "application/json"})

    result = _run(db, account, alter, strategy="per-flow")
    assert result.status == "succeeded"
    audit = result.manifest["audit"]
    assert audit["complete"] is False  # per-flow never claims completeness
    assert not any(w.get("scope") == f"/flows/{gone}/audit" for w in audit["windows"])
    after = snapshot(db)
    assert set(before["audit_records"]) <= set(after["audit_records"])
    assert query(db, "SELECT status FROM runs ORDER BY run_id") == [("succeeded",), ("succeeded",)]


# -- the disk and the user ----------------------------------------------------------------


def test_a_database_from_a_newer_flowaudit(db: Path):
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO store.schema_migrations VALUES ('9999_from_the_future', now())")
    con.close()
    before = snapshot(db)
    with pytest.raises(FlowauditError) as caught:
        _run(db, _account())
    assert caught.value.exit_code == ExitCode.DATABASE
    assert "written by a newer flowaudit" in caught.value.message
    assert snapshot(db) == before


def test_a_file_that_is_not_a_duckdb_database(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    content = b"PK\x03\x04 a zip file that someone named .duckdb"
    db.write_bytes(content)
    with pytest.raises(FlowauditError) as caught:
        _run(db, _account())
    assert caught.value.exit_code == ExitCode.DATABASE
    assert caught.value.message == f"{db} is not a DuckDB database file (it is a zip file)"
    assert db.read_bytes() == content


def test_a_report_directory_that_cannot_be_written(db: Path, tmp_path: Path):
    (tmp_path / "plain-file").write_text("")
    account = _account()
    settings = _settings(db, account, out=tmp_path / "plain-file" / "reports")
    outcome = run_nightly(settings, transport=tampered(account, lambda request, answer: None))
    assert outcome.result is not None and outcome.result.status == "succeeded"
    assert outcome.index is None
    assert outcome.error.exit_code == ExitCode.REPORT_OUTPUT
    assert "plain-file" in outcome.error.message and "\n" not in outcome.error.message
    assert query(db, "SELECT status FROM runs ORDER BY run_id") == [("succeeded",), ("succeeded",)]
