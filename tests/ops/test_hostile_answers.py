"""Hostile answers (issue 10, items 3, 7, 8, 9, 18): trickling, huge, compressed, deeply
nested, not-Unicode and endless answers each end in one line and their exit code, or are
stored and reported within bounds, and no run is left `running`.

The simulator's answers are altered on the way (httpx.MockTransport), or a small local
server misbehaves on a socket for what only a socket can do (trickle)."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from flowaudit.config import resolve_settings
from flowaudit.errors import ApiContractError, ApiUnavailableError, ExitCode, FlowauditError
from flowaudit.extract import ApiClient
from flowaudit.extract.paging import MAX_LISTING_PAGES, follow_pages
from flowaudit.pipeline import run_extract, run_nightly
from flowaudit.report.masking import (
    MAX_NAME_CHARS,
    MAX_STRING_CHARS,
    display_document,
    mask_document,
)
from flowaudit.secrets import Secret
from flowaudit.simulate import SimulatedAccount
from tests.pipeline.helpers import query

TOKEN = "hostile-tok-5e4d3c2b1a"
Alter = Callable[[httpx.Request, httpx.Response, bytes], httpx.Response | None]


def _account(seed: int = 41) -> SimulatedAccount:
    return SimulatedAccount.generate("small", seed=seed, token=TOKEN)


def _streamed(status: int, body: bytes, headers) -> httpx.Response:
    """An answer whose body is still to be read, as one from a socket is (`content=` would
    make httpx read, and inflate, it whole at once)."""
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def _altered(account: SimulatedAccount, alter: Alter) -> httpx.MockTransport:
    inner = account.async_transport()

    async def handler(request: httpx.Request) -> httpx.Response:
        answer = await inner.handle_async_request(request)
        body = await answer.aread()
        headers = [(k, v) for k, v in answer.headers.items() if k.lower() != "content-length"]
        return alter(request, answer, body) or _streamed(answer.status_code, body, headers)

    return httpx.MockTransport(handler)


def _settings(db: Path, account: SimulatedAccount, **flags):
    return resolve_settings(
        {"db": db, "api_url": account.base_url, "max_attempts": 2, **flags},
        environ={"FLOWAUDIT_TOKEN": TOKEN},
    )


def _run(db: Path, account: SimulatedAccount, alter: Alter, settings=None):
    return run_extract(settings or _settings(db, account), transport=_altered(account, alter))


def _flows_with(
    change: Callable[[dict], None], *, raw: Callable[[bytes], bytes] | None = None
) -> Alter:
    def alter(request, answer, body):
        if request.url.path != "/v1/flows":
            return None
        records = json.loads(body)
        change(records[0])
        content = json.dumps(records, ensure_ascii=False).encode()
        if raw is not None:
            content = raw(content)
        headers = [
            (k, v) for k, v in answer.headers.items() if k.lower() not in ("content-length",)
        ]
        return _streamed(answer.status_code, content, headers)

    return alter


def _last_run(db: Path) -> tuple[str, str | None]:
    return query(db, "SELECT status, error FROM runs ORDER BY run_id DESC LIMIT 1")[0]


def _fails(db: Path, account, alter: Alter, code: ExitCode, words: str, settings=None) -> str:
    with pytest.raises(FlowauditError) as caught:
        _run(db, account, alter, settings)
    message = caught.value.message
    assert caught.value.exit_code == code, message
    assert words in message and "\n" not in message and TOKEN not in message
    status, error = _last_run(db)
    assert status == "failed" and words in error
    return message


# -- item 3: a trickling answer -----------------------------------------------------------


@pytest.fixture
def trickling_server() -> Iterator[str]:
    """HTTP headers at once, then one byte of the body every 0.2 s, for ever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def trickle(connection: socket.socket) -> None:
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 100000\r\n\r\n[")  # fmt: skip
            while not stop.is_set():
                connection.sendall(b" ")
                time.sleep(0.2)
        except OSError:
            pass
        finally:
            connection.close()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=trickle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_a_trickling_answer_meets_the_requests_whole_deadline_and_is_retried(trickling_server: str):
    async def get():
        async with ApiClient(
            trickling_server, Secret(TOKEN), timeout=1.0, max_attempts=2
        ) as client:
            return await client.get(client.url_for("flows"))

    started = time.monotonic()
    with pytest.raises(
        ApiUnavailableError, match=r"after 2 attempts; last failure: no complete answer within 1 s"
    ):
        asyncio.run(get())
    assert time.monotonic() - started < 10  # each attempt ended at its deadline, not never


def test_the_whole_run_has_a_deadline(tmp_path: Path):
    account = _account()

    def endless_and_slow(request, answer, body):
        if request.url.path == "/v1/exports":
            time.sleep(0.05)  # blocks the loop a little each page, as real latency would
            page = int(request.url.params.get("page", "0"))
            link = f'<{account.base_url}/exports?page={page + 1}>; rel="next"'
            records = [{"_id": f"x{page:06d}{i:03d}", "name": "n"} for i in range(3)]
            return httpx.Response(
                200, json=records, headers={"Link": link, "Date": answer.headers["Date"]}
            )

    settings = replace(_settings(tmp_path / "a.duckdb", account), max_run_minutes=0.05)
    message = _fails(tmp_path / "a.duckdb", account, endless_and_slow, ExitCode.API_UNAVAILABLE,
                     "did not finish within 0.05 minutes (max_run_minutes)", settings)  # fmt: skip
    assert "nothing was loaded" in message
    assert query(tmp_path / "a.duckdb", "SELECT count(*) FROM store.audit_records") == [(0,)]


# -- item 18: endless next links ----------------------------------------------------------


def _endless(records_of: Callable[[int], list[dict]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "0"))
        link = f'<https://api.integrator.io/v1/flows?page={page + 1}>; rel="next"'
        return httpx.Response(200, json=records_of(page), headers={"Link": link})

    return httpx.MockTransport(handler)


def _follow(transport: httpx.MockTransport, **kwargs):
    async def main():
        async with ApiClient("https://api.integrator.io/v1", Secret(TOKEN), transport=transport,
                             rate=100_000) as client:  # fmt: skip
            return await follow_pages(client, client.url_for("flows"), lambda records: None,
                                      endpoint="/flows", **kwargs)  # fmt: skip

    return asyncio.run(main())


def test_fresh_next_links_over_the_same_records_are_a_page_loop():
    same = _endless(lambda page: [{"_id": "f1"}, {"_id": "f2"}])
    with pytest.raises(
        ApiContractError,
        match=r"^/flows page 2: the page starts with the record page 1 started with .*page loop$",
    ):
        _follow(same)


def test_endless_fresh_records_stop_at_what_a_listing_can_plausibly_hold():
    fresh = _endless(lambda page: [{"_id": f"f{page}-{i}"} for i in range(2)])
    result = _follow(fresh, max_pages=40)
    assert (result.pages, result.complete) == (40, False)
    # A listing of one resource type: a million documents at 1,000 a page, not 100,000 pages.
    assert MAX_LISTING_PAGES <= 1_000


# -- item 7: sizes --------------------------------------------------------------------------


def test_an_answer_larger_than_the_cap_is_refused_as_what_it_is(tmp_path: Path):
    account = _account()
    huge = _flows_with(lambda flow: flow.update(description="x" * (2 * 1024 * 1024)))
    settings = replace(_settings(tmp_path / "a.duckdb", account), max_response_mb=1)
    message = _fails(tmp_path / "a.duckdb", account, huge, ExitCode.API_CONTRACT,
                     "is larger than 1 MB (max_response_mb)", settings)  # fmt: skip
    assert "database" not in message


def test_a_gzip_bomb_is_refused_before_it_is_inflated(tmp_path: Path):
    account = _account()
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]", compresslevel=6)
    assert len(bomb) < 1024 * 1024  # under the cap compressed, 64 MB inflated

    def alter(request, answer, body):
        if request.url.path == "/v1/imports":
            return _streamed(200, bomb, {"Content-Encoding": "gzip", "Date": answer.headers["Date"]})

    settings = replace(_settings(tmp_path / "a.duckdb", account), max_response_mb=8)
    tracemalloc.start()
    try:
        _fails(tmp_path / "a.duckdb", account, alter, ExitCode.API_CONTRACT,
               "is larger than 8 MB (max_response_mb)", settings)  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48 * 1024 * 1024  # never the 64 MB the bomb inflates to


def test_gzip_and_deflate_answers_are_read(tmp_path: Path):
    account = _account()
    encoders = {"/v1/flows": ("gzip", gzip.compress), "/v1/exports": ("deflate", _zlib)}

    def alter(request, answer, body):
        if request.url.path in encoders:
            name, encode = encoders[request.url.path]
            headers = [(k, v) for k, v in answer.headers.items() if k.lower() != "content-length"]
            return _streamed(200, encode(body), [*headers, ("Content-Encoding", name)])

    result = _run(tmp_path / "a.duckdb", account, alter)
    assert result.counts["flows"] == len(account.resources("flows"))
    assert query(tmp_path / "a.duckdb", "SELECT count(*) FROM exports") == [
        (len(account.resources("exports")),)
    ]


def test_a_damaged_gzip_body_is_retried_then_named(tmp_path: Path):
    account = _account()

    def alter(request, answer, body):
        if request.url.path == "/v1/integrations":
            damaged = gzip.compress(body)[:-12] + b"garbage-garbage"
            return _streamed(200, damaged, {"Content-Encoding": "gzip",
                                                                 "Date": answer.headers["Date"]})  # fmt: skip

    message = _fails(
        tmp_path / "a.duckdb", account, alter, ExitCode.API_CONTRACT, "undecodable body (gzip"
    )
    assert message.startswith("/integrations page 1: the API answered undecodable body")


def _zlib(data: bytes) -> bytes:
    import zlib

    return zlib.compress(data)


def test_reports_show_a_bounded_part_of_a_huge_name_and_description(tmp_path: Path):
    account = _account()
    flow_id = sorted(f["_id"] for f in account.resources("flows"))[0]

    def change(flow: dict) -> None:
        if flow["_id"] == flow_id:
            flow.update(name="N" * 1_000_000, description="D" * 900_000)

    def alter(request, answer, body):
        if request.url.path == "/v1/flows":
            records = json.loads(body)
            for record in records:
                change(record)
            headers = [(k, v) for k, v in answer.headers.items() if k.lower() != "content-length"]
            return _streamed(200, json.dumps(records).encode(), headers)

    db = tmp_path / "a.duckdb"
    settings = _settings(db, account, out=tmp_path / "reports")
    outcome = run_nightly(settings, transport=_altered(account, alter))
    assert outcome.error is None and outcome.index is not None
    # Stored whole: nothing is lost.
    assert query(
        db, "SELECT length(name), length(description) FROM flows WHERE flow_id = ?", [flow_id]
    ) == [(1_000_000, 900_000)]
    folder = outcome.index.parent
    sizes = {path.name: path.stat().st_size for path in folder.rglob("*.html")}
    assert max(sizes.values()) < 3 * 1024 * 1024, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
    index = outcome.index.read_text(encoding="utf-8")
    assert "N" * MAX_NAME_CHARS + f"… {1_000_000 - MAX_NAME_CHARS} more characters" in index
    flow_page = (folder / "flows" / f"{flow_id}.html").read_text(encoding="utf-8")
    assert "D" * MAX_STRING_CHARS + f"… {900_000 - MAX_STRING_CHARS} more characters" in flow_page


# -- item 8: deep nesting -----------------------------------------------------------------


def _nested(levels: int) -> dict:
    value: dict = {"leaf": "bottom", "password": "hunter2-secret"}
    for _ in range(levels - 1):
        value = {"next": value}
    return value


def test_masking_and_display_walk_a_document_nested_900_levels_deep():
    doc = {"settings": _nested(900)}
    masked = mask_document(doc, r"(?i)password")
    node = masked["settings"]
    for _ in range(899):
        node = node["next"]
    assert node == {"leaf": "bottom", "password": "********"}
    shown = json.dumps(display_document(doc, r"(?i)password"))
    assert "nested 837 more level(s) deep, not shown; fingerprint" in shown


def test_a_flow_nested_900_levels_deep_is_stored_and_reported_night_after_night(tmp_path: Path):
    account = _account()
    flow_id = sorted(f["_id"] for f in account.resources("flows"))[0]

    def alter(request, answer, body):
        if request.url.path == "/v1/flows":
            records = json.loads(body)
            for record in records:
                if record["_id"] == flow_id:
                    record["settings"] = _nested(900)
            headers = [(k, v) for k, v in answer.headers.items() if k.lower() != "content-length"]
            return _streamed(200, json.dumps(records).encode(), headers)

    db = tmp_path / "a.duckdb"
    settings = _settings(db, account, out=tmp_path / "reports")
    for night in range(2):
        if night:
            account.advance(hours=24)
        outcome = run_nightly(settings, transport=_altered(account, alter))
        assert outcome.error is None, outcome.error
    page = (outcome.index.parent / "flows" / f"{flow_id}.html").read_text(encoding="utf-8")
    assert "more level(s) deep, not shown" in page
    stored = query(db, "SELECT doc FROM flows WHERE flow_id = ?", [flow_id])[0][0]
    assert stored.count('"next"') == 899  # the database keeps it whole


def test_an_answer_nested_deeper_than_json_can_be_read_is_refused_at_ingest(tmp_path: Path):
    account = _account()

    def alter(request, answer, body):
        if request.url.path == "/v1/connections":
            deep = b'[{"_id": "c1", "x": ' + b"[" * 1100 + b"]" * 1100 + b"}]"
            return _streamed(200, deep, {"Date": answer.headers["Date"]})

    _fails(
        tmp_path / "a.duckdb",
        account,
        alter,
        ExitCode.API_CONTRACT,
        "nests JSON deeper than 1024 levels",
    )


# -- item 9: text that is not Unicode -----------------------------------------------------


def test_lone_surrogates_and_bytes_that_are_not_utf8_become_replacement_characters(tmp_path: Path):
    account = _account()
    flow_id = sorted(f["_id"] for f in account.resources("flows"))[0]

    def raw(content: bytes) -> bytes:
        return content.replace(b"LONE", b"\\ud800").replace(b"BYTES", b"\xff\xfe")

    def change(flow: dict) -> None:
        flow["name"] = "before LONE after"
        flow["description"] = "bad BYTES here"

    db = tmp_path / "a.duckdb"
    settings = _settings(db, account, out=tmp_path / "reports")
    for _night in range(2):  # the encoder never fails later, night after night
        outcome = run_nightly(settings, transport=_altered(account, _flows_with(change, raw=raw)))
        assert outcome.error is None, outcome.error
        assert outcome.result.manifest["invalid_text"] == 3  # one surrogate, two bytes
        assert "3 invalid character(s) replaced by U+FFFD" in outcome.result.summary()
    assert query(db, "SELECT name, description FROM flows WHERE flow_id = ?", [flow_id]) == [
        ("before \ufffd after", "bad \ufffd\ufffd here")
    ]
    assert query(db, "SELECT counts ->> '$.invalid_text' FROM runs ORDER BY run_id") == [
        ("3",),
        ("3",),
    ]
    assert query(db, "SELECT DISTINCT status FROM runs") == [("succeeded",)]
