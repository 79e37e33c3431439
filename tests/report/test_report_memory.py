"""A rendering's memory: DuckDB held to the report's bound while it draws (and the caller's
limit set back), a query that needs more run again without the bound, the monthly history
read a month at a time with every record on exactly one page, and flow pages read in
batches of about the same number of versions."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from selectolax.lexbor import LexborHTMLParser

from flowaudit.config import Settings
from flowaudit.load.db import connect
from flowaudit.report import change_pages, queries, site
from flowaudit.report.flow_page import flow_batches
from flowaudit.report.queries import memory_bound
from flowaudit.report.render import render_reports
from flowaudit.report.units import PagePlan
from tests.report.change_rows import change_rows

NOW = datetime(2026, 3, 3, 5, 0)


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]


def _limit_of(con: duckdb.DuckDBPyConnection, value: str) -> str:
    """How DuckDB shows the limit value once set (e.g. 400MB is 381.4 MiB)."""
    before = _limit(con)
    con.execute(f"SET memory_limit = '{value}'")
    shown = _limit(con)
    con.execute(f"SET memory_limit = '{before}'")
    return shown


def test_the_bound_holds_inside_and_the_previous_limit_comes_back(store_path: Path):
    con = connect(store_path, read_only=True)
    try:
        default = _limit(con)
        with memory_bound(con):
            assert _limit(con) != default
        assert _limit(con) == default
        con.execute("SET memory_limit = '2GiB'")
        callers = _limit(con)
        with memory_bound(con):
            assert _limit(con) == _limit_of(con, queries.REPORT_MEMORY_LIMIT) != callers
        assert _limit(con) == callers
        with pytest.raises(RuntimeError), memory_bound(con):
            raise RuntimeError("a failed rendering")
        assert _limit(con) == callers
    finally:
        con.close()


def test_a_rendering_on_the_callers_connection_leaves_its_limit_as_it_was(
    store_path: Path, tmp_path: Path
):
    con = connect(store_path, read_only=True)
    try:
        con.execute("SET memory_limit = '2GiB'")
        callers = _limit(con)
        render_reports(con, tmp_path / "out", Settings(), now=NOW)
        assert _limit(con) == callers
    finally:
        con.close()


def test_a_query_over_the_bound_runs_again_without_it_and_the_report_is_the_same(
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    usual = render_reports(store_path, tmp_path / "usual", Settings(), now=NOW).parent
    monkeypatch.setattr(
        queries, "REPORT_MEMORY_LIMIT", "10MB"
    )  # less than the report's queries need
    with caplog.at_level(logging.WARNING, logger="flowaudit.report.queries"):
        tight = render_reports(store_path, tmp_path / "tight", Settings(), now=NOW).parent
    lifted = [r.getMessage() for r in caplog.records if "needs more than" in r.getMessage()]
    assert len(lifted) == 1, lifted  # once: the rest of the rendering runs without the bound
    assert "9.5 MiB" in lifted[0]
    pages = sorted(p.relative_to(usual).as_posix() for p in usual.rglob("*.html"))
    assert pages == sorted(p.relative_to(tight).as_posix() for p in tight.rglob("*.html"))
    # The reuse keys are taken over every page's content: the same pages hold the same things.
    assert json.loads((usual / "pages.json").read_text()) == json.loads(
        (tight / "pages.json").read_text()
    )


def test_history_pages_read_month_by_month_hold_every_record_once_in_its_month_and_part(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    per_page = 2  # parts of two records: every month with more than two is split
    monkeypatch.setattr(site, "MAX_EVENTS_PER_PAGE", per_page)
    monkeypatch.setattr(change_pages, "MAX_EVENTS_PER_PAGE", per_page)
    out = render_reports(store_path, tmp_path / "out", Settings(), now=NOW).parent
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        records = con.execute(
            "SELECT event_id, strftime(time AT TIME ZONE 'UTC', '%Y-%m') FROM store.audit_records "
            "ORDER BY time, event_id"
        ).fetchall()
    finally:
        con.close()
    months = sorted({month for _event, month in records})
    assert len(months) >= 2 and any(
        sum(m == month for _e, m in records) > per_page for month in months
    )
    expected: dict[str, list[str]] = {}  # page -> its records, newest first
    for month in months:
        of_month = [event for event, m in records if m == month]
        parts = [of_month[i : i + per_page] for i in range(0, len(of_month), per_page)]
        for number, part in enumerate(parts, start=1):
            name = f"{month}.html" if len(parts) == 1 else f"{month}-{number}.html"
            expected[name] = part[::-1]
    shown = {
        page.name: [row["event_id"] for row in change_rows(_parse(page), "changes")]
        for page in (out / "history").glob("*.html")
    }
    assert sorted(shown) == sorted(expected)
    for name, events in expected.items():
        assert sorted(shown[name]) == sorted(events), name


def _parse(path: Path) -> LexborHTMLParser:
    return LexborHTMLParser(path.read_text(encoding="utf-8"))


def test_flow_pages_are_read_in_batches_bounded_by_flows_and_by_versions():
    pages = [PagePlan(f"flows/f{i}.html", f"Flow {i}", None, f"f{i}") for i in range(8)]
    versions = {
        "f0": 30,
        "f1": 30,
        "f2": 100,
        "f3": 5,
        "f4": 5,
        "f5": 5,
        "f6": 5,
    }  # f7: none stored
    batches = [
        [p.args for p in b] for b in flow_batches(pages, versions, max_flows=3, max_versions=60)
    ]
    # f2 alone has more than a batch may hold: it is a batch of its own, never split or left out.
    assert batches == [["f0", "f1"], ["f2"], ["f3", "f4", "f5"], ["f6", "f7"]]
    assert list(flow_batches([], versions)) == []
