"""`flowaudit evidence` on the simulator over three nights: the folder verifies with
`sha256sum -c`, its events are exactly the period's audit records (half-open), its README
counts equal its files, every file is reproduced byte for byte by its query, and a period
reaching before the history says it is incomplete, with the gap, and exits 12."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from flowaudit.errors import ExitCode
from flowaudit.evidence import Period, write_evidence
from flowaudit.evidence.export import DATA_FILES
from tests.audit_trail.cli import run_cli
from tests.pipeline.helpers import query


def _observed(db: Path) -> list[datetime]:
    return [
        row[0]
        for row in query(
            db, "SELECT observed_at FROM runs WHERE status = 'succeeded' ORDER BY run_id"
        )
    ]


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def db(three_nights, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the three nights for the module: writing evidence changes nothing in it."""
    copy = tmp_path_factory.mktemp("evidence-db") / "a.duckdb"
    shutil.copyfile(three_nights.db, copy)
    return copy


@pytest.fixture(scope="module")
def covered(db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datetime, datetime]:
    """The evidence folder of the 30 days before the last run (covered by the runs)."""
    end = _observed(db)[-1]
    start = end - timedelta(days=30)
    out = tmp_path_factory.mktemp("covered") / "evidence"
    result = write_evidence(db, account="default", period=Period(start, end), out=out)
    assert result.complete and result.folder == out
    return out, start, end


def test_sha256sum_checks_the_folder_and_the_manifest_records_the_chain_head(
    covered, db: Path, tmp_path: Path
):
    out, _, _ = covered
    checked = subprocess.run(
        ["sha256sum", "--strict", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {
        line.split("  ", 1)[1]
        for line in (out / "MANIFEST.sha256").read_text().splitlines()
        if not line.startswith("#")
    }
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {
        "MANIFEST.sha256"
    }
    assert listed == on_disk
    head = query(db, "SELECT hash FROM hash_chain ORDER BY link DESC LIMIT 1")[0][0]
    assert f"# hash chain head: {head} (link 3, run 3," in (out / "MANIFEST.sha256").read_text()
    assert json.loads((out / "coverage.json").read_text())["hash_chain_head"]["hash"] == head
    # A file changed afterwards no longer checks.
    forged = shutil.copytree(out, tmp_path / "forged")
    (forged / "events.csv").write_text("forged\n")
    checked = subprocess.run(
        ["sha256sum", "-c", "MANIFEST.sha256"], cwd=forged, capture_output=True
    )
    assert checked.returncode != 0


def test_events_are_exactly_the_audit_records_of_the_half_open_period(covered, db: Path):
    out, start, end = covered
    rows = _csv_rows(out / "events.csv")
    expected = query(
        db,
        "SELECT event_id FROM audit_events WHERE time >= ? AND time < ? ORDER BY time, event_id",
        [start, end],
    )
    assert [row["event_id"] for row in rows] == [event_id for (event_id,) in expected]
    assert len(rows) > 50
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", row["time"]) for row in rows)
    assert {row["event"] for row in rows} >= {"create", "update", "delete"}
    changes = query(
        db, "SELECT count(*) FROM field_changes WHERE time >= ? AND time < ?", [start, end]
    )[0][0]
    assert len(_csv_rows(out / "field_changes.csv")) == changes


def test_readme_counts_equal_the_files_and_index_html_says_the_same(covered):
    out, _, _ = covered
    readme = (out / "README.txt").read_text()
    assert readme.splitlines()[0].startswith(
        "COMPLETE: flowaudit holds every audit record of account default"
    )
    for data in DATA_FILES:
        rows = len(_csv_rows(out / f"{data.name}.csv"))
        assert re.search(rf"^  {data.name}\.csv +{rows:,} rows ", readme, flags=re.MULTILINE), (
            data.name
        )
    page = HTMLParser((out / "index.html").read_text())
    first = page.css_first("main").css_first("p")
    assert first.attributes["id"] == "coverage" and first.text().startswith("COMPLETE")
    cards = {
        card.attributes["data-file"]: card.css_first(".n").text()
        for card in page.css(".card[data-file]")
    }
    assert cards["events.csv"] == f"{len(_csv_rows(out / 'events.csv')):,}"
    assert not page.css("script[src], link[href], img[src]"), "the page must need no network"


def test_every_file_is_reproduced_byte_for_byte_by_its_query(covered, db: Path, capsys):
    out, _, _ = covered
    for data in DATA_FILES:
        again = out.parent / f"again-{data.name}.csv"
        outcome = run_cli(capsys, "sql", "--db", str(db), "-f", str(out / "queries" / f"{data.name}.sql"),
                          "--format", "csv", "--output", str(again))  # fmt: skip
        assert outcome.code == 0, outcome.stderr
        assert again.read_bytes() == (out / f"{data.name}.csv").read_bytes(), data.name
    coverage = run_cli(
        capsys,
        "sql",
        "--db",
        str(db),
        "-f",
        str(out / "queries" / "coverage.sql"),
        "--format",
        "json",
    )
    row = json.loads(coverage.stdout)[0]
    written = json.loads((out / "coverage.json").read_text())
    assert {key: written[key] for key in row} == row


def test_coverage_names_the_runs_the_api_and_the_account(covered):
    out, start, end = covered
    coverage = json.loads((out / "coverage.json").read_text())
    assert coverage["complete"] is True and coverage["gaps"] == []
    assert coverage["account"] == "default" and coverage["api_urls"] == [
        "https://api.integrator.io/v1"
    ]
    assert (coverage["period_from"], coverage["period_to"]) == (_z(start), _z(end))
    assert [run["run_id"] for run in coverage["runs"]] == [1, 2, 3]
    assert all(run["requests"] > 0 for run in coverage["runs"])


def test_a_period_reaching_before_the_history_is_incomplete_with_its_gap(
    db: Path, tmp_path: Path, capsys
):
    first = _observed(db)[0]
    horizon = first - timedelta(days=365)  # integrator.io keeps records a year at least
    out = tmp_path / "before"
    outcome = run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        "2020-01-01",
        "--to",
        _z(first),
        "--out",
        str(out),
    )
    assert outcome.code == ExitCode.EVIDENCE_INCOMPLETE
    assert "evidence written to" in outcome.stderr and outcome.stderr.count("\n") == 1
    coverage = json.loads((out / "coverage.json").read_text())
    assert coverage["complete"] is False
    assert coverage["gaps"] == [{"gap_from": "2020-01-01T00:00:00.000000Z", "gap_to": _z(horizon)}]
    readme_first = (out / "README.txt").read_text().splitlines()[0]
    assert readme_first.startswith(
        "INCOMPLETE: the audit log of account default is not fully covered"
    )
    assert _z(horizon) in readme_first
    page = HTMLParser((out / "index.html").read_text())
    assert page.css_first("main p").text().startswith("INCOMPLETE")
    assert (
        subprocess.run(
            ["sha256sum", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True
        ).returncode
        == 0
    )


def test_a_period_past_the_last_run_is_incomplete(db: Path, tmp_path: Path, capsys):
    last = _observed(db)[-1]
    outcome = run_cli(capsys, "evidence", "--db", str(db), "--from", _z(last - timedelta(days=1)),
                      "--to", _z(last + timedelta(days=1)), "--out", str(tmp_path / "after"))  # fmt: skip
    assert outcome.code == ExitCode.EVIDENCE_INCOMPLETE
    assert outcome.stdout == f"{tmp_path / 'after'}\n"
    gaps = json.loads((tmp_path / "after" / "coverage.json").read_text())["gaps"]
    assert gaps == [{"gap_from": _z(last), "gap_to": _z(last + timedelta(days=1))}]


def test_a_record_at_exactly_the_end_belongs_to_the_next_period(db: Path, tmp_path: Path, capsys):
    time, event_id = query(
        db, "SELECT time, event_id FROM audit_events WHERE source = 'ui' ORDER BY time DESC LIMIT 1"
    )[0]
    before, after = tmp_path / "before", tmp_path / "after"
    run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        _z(time - timedelta(hours=1)),
        "--to",
        _z(time),
        "--out",
        str(before),
    )
    run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        _z(time),
        "--to",
        _z(time + timedelta(hours=1)),
        "--out",
        str(after),
    )
    assert event_id not in {row["event_id"] for row in _csv_rows(before / "events.csv")}
    assert event_id in {row["event_id"] for row in _csv_rows(after / "events.csv")}


def test_a_time_with_an_offset_is_converted_to_utc(db: Path, tmp_path: Path, capsys):
    out = tmp_path / "offset"
    run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        "2026-01-01T00:00+05:00",
        "--to",
        "2026-01-02",
        "--out",
        str(out),
    )
    coverage = json.loads((out / "coverage.json").read_text())
    assert coverage["period_from"] == "2025-12-31T19:00:00.000000Z"
    assert coverage["period_to"] == "2026-01-02T00:00:00.000000Z"
    assert "-- @param from = '2025-12-31T19:00:00Z'" in (out / "queries" / "events.sql").read_text()


def test_parquet_files_hold_the_same_rows(covered, db: Path, tmp_path: Path, capsys):
    csv_out, start, end = covered
    out = tmp_path / "parquet"
    outcome = run_cli(capsys, "evidence", "--db", str(db), "--from", _z(start), "--to", _z(end), "--out", str(out),
                      "--format", "parquet")  # fmt: skip
    assert outcome.code == ExitCode.OK, outcome.stderr
    for data in DATA_FILES:
        table = pq.read_table(out / f"{data.name}.parquet")
        assert table.num_rows == len(_csv_rows(csv_out / f"{data.name}.csv")), data.name
    assert pq.read_table(out / "events.parquet").column("event_id").to_pylist() == [
        row["event_id"] for row in _csv_rows(csv_out / "events.csv")
    ]
    assert "events.parquet" in (out / "README.txt").read_text()


def test_a_folder_that_is_not_empty_is_refused_and_left_alone(db: Path, tmp_path: Path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    outcome = run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        "2026-01-01",
        "--to",
        "2026-02-01",
        "--out",
        str(out),
    )
    assert outcome.code == ExitCode.USAGE
    assert "exists and is not an empty folder" in outcome.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".taken.partial-")]


def test_an_empty_period_and_a_bad_date_are_usage_errors(db: Path, tmp_path: Path, capsys):
    empty = run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-01",
        "--out",
        str(tmp_path / "e"),
    )
    assert empty.code == ExitCode.USAGE and "must end after it starts" in empty.stderr
    bad = run_cli(
        capsys,
        "evidence",
        "--db",
        str(db),
        "--from",
        "yesterday",
        "--to",
        "2026-02-01",
        "--out",
        str(tmp_path / "b"),
    )
    assert bad.code == ExitCode.USAGE and "--from must be a date" in bad.stderr
    assert not (tmp_path / "e").exists() and not (tmp_path / "b").exists()


def test_an_unwritable_place_is_the_output_error(db: Path, tmp_path: Path, capsys):
    (tmp_path / "plain-file").write_text("")
    outcome = run_cli(capsys, "evidence", "--db", str(db), "--from", "2026-01-01", "--to", "2026-02-01",
                      "--out", str(tmp_path / "plain-file" / "evidence"))  # fmt: skip
    assert outcome.code == ExitCode.REPORT_OUTPUT and "plain-file" in outcome.stderr


def test_the_folder_moves_with_its_manifest(covered, tmp_path: Path):
    out, _, _ = covered
    moved = shutil.copytree(out, tmp_path / "elsewhere" / "q")
    assert (
        subprocess.run(
            ["sha256sum", "-c", "MANIFEST.sha256"], cwd=moved, capture_output=True
        ).returncode
        == 0
    )
