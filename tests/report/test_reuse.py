"""A night's report carries over the pages whose inputs did not change and renders the rest."""

from __future__ import annotations

import json
import logging
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from selectolax.lexbor import LexborHTMLParser

from flowaudit.config import Settings
from flowaudit.report.data_blocks import unpacked_page
from flowaudit.report.render import render_reports
from flowaudit.report.reuse import MANIFEST
from tests.report.conftest import F1, F2, observe_again

NIGHT1, NIGHT2 = datetime(2026, 3, 3, 5, tzinfo=UTC), datetime(2026, 3, 4, 5, tzinfo=UTC)


def test_an_unchanged_flow_page_is_carried_over_and_a_changed_one_rendered(
    store_path: Path, tmp_path: Path
):
    out = tmp_path / "out"
    observe_again(store_path, "2026-03-03 03:00:00", 4)  # a quiet night: the reports are not stale
    first = render_reports(store_path, out, Settings(), now=NIGHT1).parent
    keys = json.loads((first / MANIFEST).read_text())
    assert f"flows/{F1}.html" in keys and "history/2026-03.html" in keys
    # Someone renames flow 2 (a new version) between the nights.
    observe_again(store_path, "2026-03-03 12:00:00", 5, {("flow", F2): {"name": "Invoices v2"}})
    second = render_reports(store_path, out, Settings(), now=NIGHT2).parent

    same = first / "flows" / f"{F1}.html", second / "flows" / f"{F1}.html"
    assert same[0].read_bytes() == same[1].read_bytes()
    assert same[0].stat().st_ino == same[1].stat().st_ino  # a hard link: no second copy on disk
    changed = _text(second / "flows" / f"{F2}.html")
    assert (
        "Invoices v2" in changed
        and "Invoices v2" not in _text(first / "flows" / f"{F2}.html")
    )
    # The history shows each record as it was made: flow 2 under its name then, carried over.
    march = first / "history" / "2026-03.html", second / "history" / "2026-03.html"
    assert march[0].stat().st_ino == march[1].stat().st_ino
    assert "Invoices v2" not in _text(march[1]) and "Invoices" in _text(march[1])
    # The recent changes (drawn every night) use today's names.
    assert "Invoices v2" in _text(second / "changes.html")
    assert (second / "index.html").read_text() != (first / "index.html").read_text()


def test_a_changed_template_renders_every_page_again(store_path: Path, tmp_path: Path):
    out = tmp_path / "out"
    first = render_reports(store_path, out, Settings(), now=NIGHT1).parent
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "flow.html").write_text(
        '{% extends "base.html" %}{% block content %}RESTYLED{% endblock %}'
    )
    second = render_reports(store_path, out, Settings(templates_dir=mine), now=NIGHT2).parent
    page = second / "flows" / f"{F1}.html"
    assert "RESTYLED" in page.read_text()
    assert page.stat().st_ino != (first / "flows" / f"{F1}.html").stat().st_ino


def test_a_missing_or_broken_manifest_means_a_full_rendering(store_path: Path, tmp_path: Path):
    out = tmp_path / "out"
    first = render_reports(store_path, out, Settings(), now=NIGHT1).parent
    (first / MANIFEST).write_text("not json")
    second = render_reports(store_path, out, Settings(), now=NIGHT2).parent
    assert (second / "flows" / f"{F1}.html").stat().st_ino != (
        first / "flows" / f"{F1}.html"
    ).stat().st_ino
    assert json.loads((second / MANIFEST).read_text())


def test_a_month_shows_its_records_with_the_names_of_their_time(store_path: Path, tmp_path: Path):
    out = tmp_path / "out"
    observe_again(store_path, "2026-03-03 03:00:00", 4)  # a quiet night: the reports are not stale
    first = render_reports(store_path, out, Settings(), now=NIGHT1).parent
    # Flow 1 (created in February) renamed later: February's page still names it as it was.
    observe_again(store_path, "2026-03-03 04:00:00", 5, {("flow", F1): {"name": "Renamed"}})
    second = render_reports(store_path, out, Settings(), now=NIGHT2).parent
    february = first / "history" / "2026-02.html", second / "history" / "2026-02.html"
    assert february[0].stat().st_ino == february[1].stat().st_ino
    assert "Renamed" not in _text(february[1])
    assert "Renamed" in _text(second / "flows" / f"{F1}.html")
    fresh = render_reports(store_path, tmp_path / "fresh", Settings(), now=NIGHT2).parent
    assert _content(february[1]) == _content(fresh / "history" / "2026-02.html")


def test_a_carried_over_page_is_the_page_a_fresh_rendering_draws(demo_out: Path, tmp_path: Path):
    """Every page of the demo's last night, many of them carried over from the nights
    before, equals the same page drawn afresh from the same database. (A flow that ran in
    the last 30 days is drawn anew each night: its run chart moves with the date.)"""
    reports = demo_out / "reports"
    latest = reports / "latest"
    nights = sorted(p for p in reports.iterdir() if p.name != "latest")
    last, before = nights[-1], nights[-2]
    pages = sorted(str(p.relative_to(last)) for p in last.rglob("*.html"))
    carried = [p for p in pages if (before / p).exists() and (last / p).stat().st_ino == (before / p).stat().st_ino]
    assert len(pages) // 4 < len(carried) < len(pages)  # both kinds are compared
    generated = LexborHTMLParser((latest / "index.html").read_text()).css_first("p.meta").text()
    now = datetime.strptime(generated.split("generated ")[1].strip(), "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
    fresh = render_reports(demo_out / "demo.duckdb", tmp_path / "fresh", Settings(), now=now).parent
    assert sorted(str(p.relative_to(fresh)) for p in fresh.rglob("*.html")) == pages
    for page in pages:
        assert _content(last / page) == _content(fresh / page), page


def _content(page: Path) -> str:
    """A page without the line that says when it was drawn (a carried-over page keeps its own)."""
    return re.sub(r'<p class="meta">.*?</p>', "", page.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_a_page_whose_run_chart_alone_changed_is_drawn_again_in_part_as_a_fresh_drawing_draws_it(
    demo_out: Path, tmp_path: Path, caplog
):
    """A quiet night one day later: every flow that ran has a new run chart (its days moved)
    and nothing else new, so its page is the previous one with the chart drawn again, byte
    for byte the page a whole drawing gives."""
    reports, db = tmp_path / "reports", tmp_path / "demo.duckdb"
    shutil.copytree(demo_out / "reports", reports, symlinks=True)
    shutil.copy(demo_out / "demo.duckdb", db)
    con = duckdb.connect(str(db))  # the newest run observed a day later: the charts' days move
    con.execute("UPDATE store.runs SET observed_at = observed_at + INTERVAL 1 DAY "
                "WHERE run_id = (SELECT max(run_id) FROM store.runs WHERE status = 'succeeded')")  # fmt: skip
    con.close()
    later = datetime.now(UTC)
    with caplog.at_level(logging.INFO, logger="flowaudit"):
        night = render_reports(db, reports, Settings(), now=later).parent
    partly = int(re.search(r"(\d+) of them only in part", caplog.text).group(1))
    charts = [p for p in (night / "flows").glob("*.html") if 'id="health"' in p.read_text()]
    assert partly >= len(charts) > 0  # (and a flow whose last run left the period loses its chart)
    fresh = render_reports(db, tmp_path / "fresh", Settings(), now=later).parent
    for page in sorted(night.rglob("*.html")):
        relative = page.relative_to(night)
        assert _content(page) == _content(fresh / relative), relative
    for page in charts:  # drawn again in part or whole: the line of when and from what data, too
        assert page.read_text() == (fresh / "flows" / page.name).read_text(), page.name


def _text(page: Path) -> str:
    """A page's text with its data blocks unpacked: a name in the page's data counts too."""
    return unpacked_page(page.read_text(encoding="utf-8"))
