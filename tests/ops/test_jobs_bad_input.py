"""Bad answers from the jobs and errors endpoints, end to end through `run_extract`: each is
one line with its exit code and leaves the stored data as it was; a flow deleted between
the listing and its error summary is skipped, not a failure."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from flowaudit.errors import ExitCode, FlowauditError
from flowaudit.pipeline import run_extract
from tests.ops.test_bad_input import _account, _answer, _settings, tampered
from tests.pipeline.helpers import query, snapshot


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("stored-jobs") / "a.duckdb"
    account = _account()
    run_extract(_settings(db, account), transport=tampered(account, lambda request, answer: None))
    return db


@pytest.fixture
def db(stored: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "a.duckdb"
    copy.write_bytes(stored.read_bytes())
    return copy


def _fails(db: Path, alter, words: str) -> None:
    before = snapshot(db)
    account = _account()
    with pytest.raises(FlowauditError) as caught:
        run_extract(_settings(db, account), transport=tampered(account, alter))
    assert caught.value.exit_code == ExitCode.API_CONTRACT
    assert words in caught.value.message and "\n" not in caught.value.message
    assert snapshot(db) == before
    assert query(db, "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1") == [("failed",)]


def test_a_jobs_page_that_is_not_an_array_fails_the_run_and_keeps_what_was_stored(db: Path):
    def alter(request: httpx.Request, answer: httpx.Response):
        if request.url.path == "/v1/jobs":
            return _answer(answer, json.dumps({"jobs": []}).encode())
        return None

    _fails(db, alter, "/jobs (createdAt_lte")


def test_a_jobs_query_the_api_refuses_is_exit_6_naming_the_request(db: Path):
    def alter(request: httpx.Request, answer: httpx.Response):
        if request.url.path == "/v1/jobs":
            body = {"errors": [{"code": "invalid_query", "message": "A job query needs a scope."}]}
            return httpx.Response(400, json=body)
        return None

    _fails(db, alter, "invalid_query")


def test_an_error_summary_of_the_wrong_shape_fails_the_run_and_loads_nothing(tmp_path: Path):
    # A first run: every flow with open errors has its summary read.
    db = tmp_path / "a.duckdb"

    def alter(request: httpx.Request, answer: httpx.Response):
        if request.url.path.endswith("/errors"):
            return _answer(answer, b'{"flowErrors": {"a": 1}}')
        return None

    account = _account()
    with pytest.raises(FlowauditError) as caught:
        run_extract(_settings(db, account), transport=tampered(account, alter))
    assert caught.value.exit_code == ExitCode.API_CONTRACT and "flowErrors" in caught.value.message
    assert query(db, "SELECT count(*) FROM store.jobs") == [(0,)]
    assert query(db, "SELECT count(*) FROM store.audit_records") == [(0,)]


def test_a_flow_deleted_before_its_error_summary_is_read_is_skipped(tmp_path: Path):
    db = tmp_path / "a.duckdb"
    account = _account()
    asked: list[str] = []

    def alter(request: httpx.Request, answer: httpx.Response):
        if request.url.path.endswith("/errors"):
            asked.append(request.url.path)
            return httpx.Response(404, json={"errors": [{"code": "not_found", "message": "Flow not found."}]})
        return None

    result = run_extract(_settings(db, account), transport=tampered(account, alter))
    assert asked and result.status == "succeeded"
    assert query(db, "SELECT error_requests, error_flows FROM job_reads") == [(len(asked), 0)]
