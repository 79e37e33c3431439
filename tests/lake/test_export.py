"""The Parquet lake: read back by DuckDB, polars and pyarrow it has the views' rows; exporting
again writes nothing and duplicates nothing; a new night rewrites only what changed; every
partition is replaced whole, with UTC timestamps and a manifest of row counts and hashes."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from flowaudit.lake.export import PART_FILE, export_lake
from flowaudit.lake.manifest import file_sha256, view_hash
from flowaudit.lake.views import LAKE_VIEWS, LEFT_OUT
from flowaudit.load.public_schema import describe_schema
from tests.lake.conftest import Exported
from tests.pipeline.helpers import query

VIEWS = [view.name for view in LAKE_VIEWS]


def view_counts(db: Path, view: str) -> dict[str, int]:
    return dict(query(db, f"SELECT account, count(*) FROM {view} GROUP BY account"))


def parquet_files(lake: Path, view: str) -> list[Path]:
    return sorted((lake / view).glob(f"account=*/date=*/{PART_FILE}"))


def duckdb_counts(lake: Path, view: str) -> dict[str, int]:
    if not parquet_files(lake, view):
        return {}
    pattern = str(lake / view / "*" / "*" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT account, count(*) FROM read_parquet('{pattern}', hive_partitioning = true) GROUP BY account"
    ).fetchall()
    return dict(rows)


def polars_counts(lake: Path, view: str) -> dict[str, int]:
    if not parquet_files(lake, view):
        return {}
    frame = (
        pl.scan_parquet(str(lake / view / "**" / "*.parquet"), hive_partitioning=True)
        .group_by("account")
        .len()
        .collect()
    )
    return dict(frame.iter_rows())


def pyarrow_counts(lake: Path, view: str) -> dict[str, int]:
    if not parquet_files(lake, view):
        return {}
    table = ds.dataset(lake / view, format="parquet", partitioning="hive").to_table(
        columns=["account"]
    )
    counts: dict[str, int] = {}
    for label in table.column("account").to_pylist():
        counts[label] = counts.get(label, 0) + 1
    return counts


@pytest.mark.parametrize("view", VIEWS)
def test_the_lake_read_by_duckdb_polars_and_pyarrow_has_the_rows_of_each_view(
    exported: Exported, view: str
):
    expected = view_counts(exported.db, view)
    assert duckdb_counts(exported.lake, view) == expected
    assert polars_counts(exported.lake, view) == expected
    assert pyarrow_counts(exported.lake, view) == expected


def test_the_two_accounts_are_both_in_the_lake(exported: Exported):
    assert set(duckdb_counts(exported.lake, "audit_events")) == {"prod", "sandbox"}
    assert {a.label for a in exported.first.accounts} == {"prod", "sandbox"}


def test_exporting_the_same_day_again_writes_nothing_and_leaves_the_counts(exported: Exported):
    before = {
        path: path.stat().st_ino for view in VIEWS for path in parquet_files(exported.lake, view)
    }
    again = export_lake(exported.db, exported.lake)
    assert sum(a.total("written") for a in again.accounts) == 0
    assert sum(a.total("removed") for a in again.accounts) == 0
    after = {
        path: path.stat().st_ino for view in VIEWS for path in parquet_files(exported.lake, view)
    }
    assert after == before  # not one file replaced
    for view in ("audit_events", "resource_versions", "flows"):
        assert duckdb_counts(exported.lake, view) == view_counts(exported.db, view)


def test_every_timestamp_in_the_lake_is_a_utc_instant(exported: Exported):
    for view in VIEWS:
        files = parquet_files(exported.lake, view)
        if not files:
            continue
        schema = pq.read_schema(files[0])
        times = [f for f in schema if str(f.type).startswith("timestamp")]
        assert all(f.type.tz == "UTC" for f in times), (view, times)
        assert "account" not in schema.names and "date" not in schema.names  # they are the path's
    columns = pq.ParquetFile(parquet_files(exported.lake, "audit_events")[0]).metadata.schema
    assert "isAdjustedToUTC=true" in str(columns.column(columns.names.index("time")).logical_type)


def test_partitions_are_by_the_date_of_the_event_or_version(exported: Exported):
    pattern = str(exported.lake / "audit_events" / "*" / "*" / "*.parquet")
    wrong = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{pattern}', hive_partitioning = true) "
        "WHERE CAST(time AT TIME ZONE 'UTC' AS DATE) <> date"
    ).fetchall()
    assert wrong == [(0,)]
    days = {p.parent.name for p in parquet_files(exported.lake, "resource_versions")}
    expected = {
        f"date={d}"
        for (d,) in query(
            exported.db, "SELECT DISTINCT CAST(valid_from AS DATE)::VARCHAR FROM resource_versions"
        )
    }
    assert days == expected


def test_the_manifest_counts_the_rows_and_hashes_every_partition(exported: Exported):
    manifest = json.loads((exported.lake / "_manifest.json").read_text())
    assert set(manifest["accounts"]) == {"prod", "sandbox"}
    assert manifest["layout"] == "<view>/account=<label>/date=<YYYY-MM-DD>/part-0.parquet"
    for label, entry in manifest["accounts"].items():
        detail = json.loads((exported.lake / entry["partitions_file"]).read_text())
        for view in VIEWS:
            assert entry["views"][view]["rows"] == view_counts(exported.db, view).get(label, 0)
            partitions = detail["views"][view]
            assert entry["views"][view]["sha256"] == view_hash(partitions)
            for day, part in partitions.items():
                path = exported.lake / view / f"account={label}" / f"date={day}" / PART_FILE
                assert part["sha256"] == file_sha256(path) and part["bytes"] == path.stat().st_size
                assert part["rows"] == pq.read_metadata(path).num_rows


def test_every_public_view_is_in_the_lake_or_left_out_for_a_reason(con):
    views = {doc.name for doc in describe_schema(con) if doc.kind == "view"}
    assert set(VIEWS) | set(LEFT_OUT) == views
    assert not set(VIEWS) & set(LEFT_OUT)


@pytest.mark.slow
def test_a_new_night_rewrites_only_changed_partitions_each_replaced_whole(
    exported: Exported, tmp_path: Path
):
    copy = Exported(tmp_path, exported.accounts, exported.plan, tmp_path / "lake", exported.first)
    shutil.copytree(exported.folder, tmp_path, dirs_exist_ok=True)
    copy.plan = replace(
        exported.plan, accounts=tuple(replace(s, db=copy.db) for s in exported.plan.accounts)
    )
    old_flows = parquet_files(copy.lake, "flows")
    old_bytes = old_flows[0].read_bytes()
    old_days = {p.parent.name for p in parquet_files(copy.lake, "audit_events")}

    with open(old_flows[0], "rb") as reader:  # a reader holding last night's partition open
        copy.night()
        result = export_lake(copy.db, copy.lake)
        # Replaced by a rename: the open reader still reads the old file whole.
        assert reader.read() == old_bytes

    for view in VIEWS:
        assert duckdb_counts(copy.lake, view) == view_counts(copy.db, view), view
    written = sum(a.total("written") for a in result.accounts)
    unchanged = sum(a.total("unchanged") for a in result.accounts)
    assert 0 < written < unchanged / 3, (written, unchanged)
    # The current flows are one snapshot: the new night's date, yesterday's partition gone.
    for label in ("prod", "sandbox"):
        snapshot = [
            p.parent.name for p in parquet_files(copy.lake, "flows") if f"account={label}" in str(p)
        ]
        observed = query(
            copy.db,
            "SELECT DISTINCT CAST(observed_at AS DATE)::VARCHAR FROM flows WHERE account = ?",
            [label],
        )
        assert snapshot == [f"date={observed[0][0]}"]
    assert {p.parent.name for p in parquet_files(copy.lake, "audit_events")} >= old_days
    # Nothing half-written is left.
    assert not list(copy.lake.rglob(".*.partial"))


def test_since_refreshes_only_the_partitions_from_that_date_on(exported: Exported, tmp_path: Path):
    lake = tmp_path / "lake"
    shutil.copytree(exported.lake, lake)
    days = sorted(
        p.parent.name[5:] for p in parquet_files(lake, "audit_events") if "account=prod" in str(p)
    )
    old, recent = days[0], days[-1]
    for day in (old, recent):
        (lake / "audit_events" / "account=prod" / f"date={day}" / PART_FILE).unlink()

    result = export_lake(exported.db, lake, accounts=["prod"], since=date.fromisoformat(recent))

    assert (lake / "audit_events" / "account=prod" / f"date={recent}" / PART_FILE).is_file()
    assert not (lake / "audit_events" / "account=prod" / f"date={old}").joinpath(PART_FILE).exists()
    audit = next(v for v in result.accounts[0].views if v.view == "audit_events")
    assert audit.written == 1
    # A full export repairs the older one too.
    export_lake(exported.db, lake, accounts=["prod"])
    assert duckdb_counts(lake, "audit_events") == view_counts(exported.db, "audit_events")


def test_a_partition_missing_or_left_half_written_is_repaired_by_the_next_export(
    exported: Exported, tmp_path: Path
):
    lake = tmp_path / "lake"
    shutil.copytree(exported.lake, lake)
    victim = parquet_files(lake, "field_changes")[3]
    victim.unlink()
    (victim.parent / f".{PART_FILE}.partial").write_bytes(b"PAR1 half a file")  # a killed export's
    assert duckdb_counts(lake, "field_changes") != view_counts(exported.db, "field_changes")
    result = export_lake(exported.db, lake)
    assert sum(a.total("written") for a in result.accounts) == 1
    assert duckdb_counts(lake, "field_changes") == view_counts(exported.db, "field_changes")


def test_columns_left_out_of_a_fingerprint_are_computed_from_the_document_alone(con):
    """A column the fingerprint skips must change only when `doc` (which it hashes) does."""
    from flowaudit.assets import queries_dir

    others = {name for (name,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'resource_versions'"
    ).fetchall()} - {"doc"}  # fmt: skip
    for view in LAKE_VIEWS:
        if not view.derived:
            continue
        (path,) = queries_dir().glob(f"views/*_{view.name}.sql")
        sql = path.read_text(encoding="utf-8").split("CREATE OR REPLACE", 1)[1]
        for column in view.derived:
            match = re.search(rf"^\s*(.+?)\s+AS\s+{column}\s*,?\s*$", sql, flags=re.MULTILINE)
            assert match, f"{view.name}.{column} is not computed in {path.name}"
            words = set(re.findall(r"[A-Za-z_]\w*", match.group(1)))
            assert "doc" in words and not words & others, (column, match.group(1))
