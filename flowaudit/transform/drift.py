"""Configuration drift: a baseline configuration against the current one, per resource.

Input frames hold one row per resource (`resource_type`, `resource_id`, `name`, `doc` as
JSON text). The polars steps join and classify them; `compute_drift` collects once and
runs the Celigo-aware document diff on the resources whose content changed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from flowaudit.documents.volatility import volatile_fields_for
from flowaudit.transform.diff import Change, diff_documents

VERSION_SCHEMA = {
    "resource_type": pl.String,
    "resource_id": pl.String,
    "name": pl.String,
    "doc": pl.String,
}


@dataclass(frozen=True)
class ResourceDrift:
    """How one resource differs between the baseline and now."""

    resource_type: str
    resource_id: str
    name: str
    status: str  # added | removed | modified
    changes: tuple[Change, ...]
    ignored: tuple[str, ...] = ()
    baseline: dict[str, Any] | None = None
    current: dict[str, Any] | None = None
    became_disabled: bool = False
    became_enabled: bool = False
    schedule_changed: bool = False


@dataclass(frozen=True)
class Drift:
    """Every resource that drifted, plus the volatile paths ignored along the way."""

    resources: tuple[ResourceDrift, ...] = ()
    ignored: tuple[tuple[str, str, str], ...] = field(default=())  # (type, id, path)

    def of_type(self, resource_type: str) -> list[ResourceDrift]:
        return [r for r in self.resources if r.resource_type == resource_type]

    def find(self, resource_type: str, resource_id: str) -> ResourceDrift | None:
        for item in self.resources:
            if item.resource_type == resource_type and item.resource_id == resource_id:
                return item
        return None


def versions_frame(rows: Iterable[dict[str, Any]]) -> pl.LazyFrame:
    """A versions frame from dict rows (docs may be dicts or JSON text)."""
    normalized = [
        {
            "resource_type": row["resource_type"],
            "resource_id": row["resource_id"],
            "name": row.get("name"),
            "doc": row["doc"] if isinstance(row["doc"], str) else json.dumps(row["doc"]),
        }
        for row in rows
    ]
    return pl.LazyFrame(normalized, schema=VERSION_SCHEMA)


def canonicalize_documents(frame: pl.LazyFrame, volatile_fields: Iterable[str]) -> pl.LazyFrame:
    """Add `content`: the document as sorted JSON without volatile fields (for comparison)."""
    setting = tuple(volatile_fields)

    def canonical(row: dict[str, Any]) -> str:
        doc = json.loads(row["doc"])
        return json.dumps(
            volatile_fields_for(row["resource_type"], setting).strip(doc), sort_keys=True
        )

    return frame.with_columns(
        pl.struct("resource_type", "doc")
        .map_elements(canonical, return_dtype=pl.String)
        .alias("content")
    )


def join_baseline_and_current(baseline: pl.LazyFrame, current: pl.LazyFrame) -> pl.LazyFrame:
    """One row per resource present on either side, with both documents side by side."""
    keys = ["resource_type", "resource_id"]
    return (
        baseline.select(*keys, "name", "doc", "content")
        .join(
            current.select(*keys, "name", "doc", "content"),
            on=keys,
            how="full",
            coalesce=True,
            suffix="_current",
        )
        .rename({"name": "name_baseline", "doc": "doc_baseline", "content": "content_baseline"})
        .with_columns(
            pl.coalesce("name_current", "name_baseline", "resource_id").alias("name"),
        )
    )


def classify_presence(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Label each resource added, removed, modified or unchanged."""
    return frame.with_columns(
        pl.when(pl.col("doc_baseline").is_null())
        .then(pl.lit("added"))
        .when(pl.col("doc_current").is_null())
        .then(pl.lit("removed"))
        .when(pl.col("content_baseline") != pl.col("content_current"))
        .then(pl.lit("modified"))
        .otherwise(pl.lit("unchanged"))
        .alias("status")
    )


def flag_switches(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add became_disabled / became_enabled / schedule_changed (for flows; false elsewhere)."""

    def field_of(column: str, name: str) -> pl.Expr:
        return pl.col(column).str.json_path_match(f"$.{name}")

    both = pl.col("status") == "modified"
    disabled_before = field_of("doc_baseline", "disabled").fill_null("false") == "true"
    disabled_now = field_of("doc_current", "disabled").fill_null("false") == "true"
    schedule_before = field_of("doc_baseline", "schedule").fill_null("")
    schedule_now = field_of("doc_current", "schedule").fill_null("")
    return frame.with_columns(
        (both & ~disabled_before & disabled_now).alias("became_disabled"),
        (both & disabled_before & ~disabled_now).alias("became_enabled"),
        (both & (schedule_before != schedule_now)).alias("schedule_changed"),
    )


def compute_drift(
    baseline: pl.LazyFrame, current: pl.LazyFrame, *, volatile_fields: Iterable[str]
) -> Drift:
    """Compare two configurations (versions frames) and diff every drifted resource."""
    volatile = tuple(volatile_fields)
    # A resource whose only change is volatile is not drift, but its ignored paths are
    # still worth listing; so diff every resource present on both sides whose raw doc differs.
    joined = (
        join_baseline_and_current(
            baseline.pipe(canonicalize_documents, volatile),
            current.pipe(canonicalize_documents, volatile),
        )
        .pipe(classify_presence)
        .pipe(flag_switches)
        .filter(
            (pl.col("status") != "unchanged") | (pl.col("doc_baseline") != pl.col("doc_current"))
        )
        .sort("resource_type", "name", "resource_id")
        .collect()
    )
    resources: list[ResourceDrift] = []
    ignored: list[tuple[str, str, str]] = []
    for row in joined.iter_rows(named=True):
        old = json.loads(row["doc_baseline"]) if row["doc_baseline"] is not None else None
        new = json.loads(row["doc_current"]) if row["doc_current"] is not None else None
        result = diff_documents(
            old, new, volatile_fields=volatile_fields_for(row["resource_type"], volatile)
        )
        ignored.extend((row["resource_type"], row["resource_id"], p) for p in result.ignored)
        if row["status"] == "unchanged":
            continue
        resources.append(
            ResourceDrift(
                resource_type=row["resource_type"],
                resource_id=row["resource_id"],
                name=row["name"],
                status=row["status"],
                changes=result.changes,
                ignored=result.ignored,
                baseline=old,
                current=new,
                became_disabled=bool(row["became_disabled"]),
                became_enabled=bool(row["became_enabled"]),
                schedule_changed=bool(row["schedule_changed"]),
            )
        )
    return Drift(tuple(resources), tuple(ignored))
