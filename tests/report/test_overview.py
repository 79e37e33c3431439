"""The cross-account overview: each account's verdict from its facts (one pure function, the
place issue 11's verdict plugs in), and a page that is written whole even when an account's
database cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.errors import ReportOutputError
from flowaudit.report import overview_page
from flowaudit.report.overview_page import (
    AccountEntry,
    AccountFacts,
    Verdict,
    judge,
    render_overview,
)

SEEN = datetime(2026, 11, 1, 2, 0, 1, tzinfo=UTC)
HEALTHY = AccountFacts(
    "prod", last_run_id=3, last_status="succeeded", success_run_id=3, success_observed_at=SEEN,
    success_audit_complete=True, success_listings_complete=True,
)  # fmt: skip


def _with(**changes) -> AccountFacts:
    return AccountFacts(**{**HEALTHY.__dict__, **changes})


@pytest.mark.parametrize(
    "facts, failure, state",
    [
        (HEALTHY, None, "healthy"),
        (HEALTHY, "the API rejected the token (HTTP 401)", "failed"),
        (_with(last_status="failed", last_run_id=4), None, "failed"),
        (_with(success_audit_complete=False), None, "incomplete"),
        (_with(success_listings_complete=False), None, "incomplete"),
        (_with(success_run_id=None, success_observed_at=None), None, "no data"),
        (AccountFacts("prod", unreadable="no database yet"), None, "no data"),
    ],
)
def test_the_verdict_says_whether_the_last_run_was_healthy_and_complete(facts, failure, state):
    verdict = judge(facts, failure)
    assert verdict.state == state and verdict.reason
    assert verdict.needs_attention is None  # issue 11 counts it


def test_a_failed_accounts_verdict_says_since_when_its_reports_are_stale():
    assert "2026-11-01 02:00 UTC, marked stale" in judge(HEALTHY, "boom").reason


def _page(tmp_path: Path, entries: list[AccountEntry]) -> LexborHTMLParser:
    path = render_overview(tmp_path / "out", entries, now=SEEN)
    assert path == tmp_path / "out" / "index.html"
    assert [p.name for p in path.parent.iterdir()] == [
        "index.html"
    ]  # nothing half-written beside it
    return LexborHTMLParser(path.read_text(encoding="utf-8"))


def test_an_account_without_a_database_is_listed_with_no_data_and_no_link(tmp_path: Path):
    page = _page(
        tmp_path,
        [AccountEntry("prod", tmp_path / "none.duckdb", tmp_path / "out/prod", "cannot open")],
    )
    row = page.css_first("#accounts tbody tr")
    assert row.attributes["data-state"] == "failed"
    assert "none rendered" in row.text() and row.css_first("a") is None
    assert page.css_first("#summary").text(strip=True) == "1 account:1 failed."


def test_the_needs_attention_column_appears_once_a_verdict_counts_it(tmp_path: Path, monkeypatch):
    entries = [AccountEntry("prod", tmp_path / "none.duckdb", tmp_path / "out/prod")]
    assert "Needs attention" not in _page(tmp_path, entries).html
    monkeypatch.setattr(
        overview_page, "judge", lambda facts, failure: Verdict("healthy", "fine", needs_attention=3)
    )
    page = _page(tmp_path, entries)
    assert "Needs attention" in page.html
    assert page.css("#accounts tbody tr td")[-2].text(strip=True) == "3"


def test_an_overview_that_cannot_be_written_is_a_report_output_error(tmp_path: Path):
    (tmp_path / "plain-file").write_text("")
    with pytest.raises(ReportOutputError, match="plain-file"):
        render_overview(
            tmp_path / "plain-file" / "out", [AccountEntry("prod", tmp_path / "x.duckdb", tmp_path)]
        )
