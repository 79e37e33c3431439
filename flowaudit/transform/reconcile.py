"""Reconcile configuration differences with the audit log of the same window.

Every difference is labelled *explained* (a non-system audit record of that resource in
the window touches its field path, a parent or a child of it, or is the create/delete of an
added/removed resource), *system* (only `system` records account for it) or *unexplained*.
Audit records whose change is not visible in the differences are listed apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from flowaudit.transform.diff import path_segments
from flowaudit.transform.drift import Drift

EXPLAINED, UNEXPLAINED, SYSTEM = "explained", "unexplained", "system"

DIFFERENCE_SCHEMA = {
    "diff_id": pl.Int64,
    "resource_type": pl.String,
    "resource_id": pl.String,
    "path": pl.String,
    "kind": pl.String,
}
# One row per (audit record, field path); field_path NULL = the record names no field.
AUDIT_PATH_SCHEMA = {
    "event_id": pl.String,
    "time": pl.Datetime("us"),
    "resource_type": pl.String,
    "resource_id": pl.String,
    "event": pl.String,
    "source": pl.String,
    "field_path": pl.String,
}
_CHANGING_EVENTS = ("create", "update", "delete", "restore", "purge")


@dataclass(frozen=True)
class Reconciliation:
    """Labels per difference (by diff_id) and the audit records no difference shows."""

    labels: dict[int, str]
    evidence: dict[int, tuple[str, ...]]  # diff_id -> event ids that account for it
    invisible: pl.DataFrame  # audit records (one row each) whose change is not visible

    def label(self, diff_id: int) -> str:
        return self.labels.get(diff_id, UNEXPLAINED)


def differences_frame(drift: Drift) -> tuple[pl.LazyFrame, list[tuple[Any, Any]]]:
    """Flatten a Drift into a differences frame; also return (resource, change) per diff_id."""
    rows, index = [], []
    for resource in drift.resources:
        for change in resource.changes:
            rows.append(
                {
                    "diff_id": len(index),
                    "resource_type": resource.resource_type,
                    "resource_id": resource.resource_id,
                    "path": change.path,
                    "kind": change.kind,
                }
            )
            index.append((resource, change))
    return pl.LazyFrame(rows, schema=DIFFERENCE_SCHEMA), index


def normalize_paths(frame: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """Add `path_key`: the dotted keys of a path without list selectors, ending in a dot.

    The trailing dot makes a prefix test respect segment boundaries (`a.b.` is not a prefix
    of `a.bc.`); the whole resource is the empty key `.`."""

    def key_of(path: str | None) -> str:
        return ".".join(path_segments(path or "")) + "."

    return frame.with_columns(
        pl.col(column).map_elements(key_of, return_dtype=pl.String).fill_null(".").alias("path_key")
    )


def keep_changing_events(audit: pl.LazyFrame) -> pl.LazyFrame:
    """Drop audit records that change nothing (view, signin, signout)."""
    return audit.filter(pl.col("event").is_in(_CHANGING_EVENTS))


def drop_volatile_paths(audit: pl.LazyFrame, volatile_fields: tuple[str, ...]) -> pl.LazyFrame:
    """Drop field paths whose last key is volatile: such a change is never drift."""
    last_key = pl.col("field_path").str.split(".").list.last()
    return audit.filter(pl.col("field_path").is_null() | ~last_key.is_in(list(volatile_fields)))


def within_window(audit: pl.LazyFrame, start: Any, end: Any) -> pl.LazyFrame:
    """Audit records with start < time <= end (start None = since the beginning)."""
    upper = pl.col("time") <= end
    return audit.filter(upper if start is None else (pl.col("time") > start) & upper)


def match_audit_to_differences(differences: pl.LazyFrame, audit: pl.LazyFrame) -> pl.LazyFrame:
    """Pairs (difference, audit record) where the record accounts for the difference."""
    whole = pl.lit(".")
    paired = differences.join(audit, on=["resource_type", "resource_id"], how="inner", suffix="_audit")
    diff_key, audit_key = pl.col("path_key"), pl.col("path_key_audit")
    is_whole_resource_change = diff_key == whole
    touches_path = (
        (audit_key == whole)
        | diff_key.str.starts_with(audit_key)
        | audit_key.str.starts_with(diff_key)
    )
    by_lifecycle = (
        is_whole_resource_change
        & (
            ((pl.col("kind") == "added") & pl.col("event").is_in(["create", "restore"]))
            | ((pl.col("kind") == "removed") & pl.col("event").is_in(["delete", "purge"]))
        )
    )
    by_update = ~is_whole_resource_change & (pl.col("event") == "update") & touches_path
    return paired.filter(by_lifecycle | by_update)


def label_differences(differences: pl.LazyFrame, matches: pl.LazyFrame) -> pl.LazyFrame:
    """Add `label` and `evidence` (event ids) to every difference."""
    summary = matches.group_by("diff_id").agg(
        (pl.col("source") != "system").any().alias("has_person"),
        pl.col("event_id").unique().sort().alias("evidence"),
    )
    return differences.join(summary, on="diff_id", how="left").with_columns(
        pl.when(pl.col("has_person").is_null())
        .then(pl.lit(UNEXPLAINED))
        .when(pl.col("has_person"))
        .then(pl.lit(EXPLAINED))
        .otherwise(pl.lit(SYSTEM))
        .alias("label")
    )


def find_invisible_records(audit: pl.LazyFrame, matches: pl.LazyFrame) -> pl.LazyFrame:
    """Audit records (one row each) that account for no difference: changed and changed back,
    changes to resources outside the compared configuration, or changes to volatile fields."""
    used = matches.select("event_id").unique()
    return (
        audit.join(used, on="event_id", how="anti")
        .group_by("event_id")
        .agg(
            pl.col("time").first(),
            pl.col("resource_type").first(),
            pl.col("resource_id").first(),
            pl.col("event").first(),
            pl.col("source").first(),
            pl.col("field_path").drop_nulls().alias("field_paths"),
        )
        .sort("time", "event_id")
    )


def reconcile(
    differences: pl.LazyFrame,
    audit_paths: pl.LazyFrame,
    *,
    volatile_fields: tuple[str, ...] = (),
) -> Reconciliation:
    """Label every difference and list audit records whose change is not visible.

    `audit_paths` must already be limited to the window (baseline time, current time]."""
    diffs = differences.pipe(normalize_paths, "path")
    audit = (
        audit_paths.pipe(keep_changing_events)
        .pipe(drop_volatile_paths, tuple(volatile_fields))
        .pipe(normalize_paths, "field_path")
    )
    matches = match_audit_to_differences(diffs, audit).cache()
    labelled, invisible = pl.collect_all(
        [label_differences(diffs, matches), find_invisible_records(audit, matches)]
    )
    labels = dict(zip(labelled["diff_id"].to_list(), labelled["label"].to_list(), strict=True))
    evidence = {
        diff_id: tuple(ids or ())
        for diff_id, ids in zip(labelled["diff_id"].to_list(), labelled["evidence"].to_list(), strict=True)
    }
    return Reconciliation(labels, evidence, invisible)


def audit_paths_frame(records: list[dict[str, Any]]) -> pl.LazyFrame:
    """Audit-path rows from API-shaped audit records (for tests and the simulator's ground truth)."""
    from datetime import datetime

    rows = []
    for record in records:
        when = datetime.fromisoformat(record["time"].replace("Z", "+00:00")).replace(tzinfo=None)
        base = {
            "event_id": record["_id"],
            "time": when,
            "resource_type": record["resourceType"],
            "resource_id": record["_resourceId"],
            "event": record["event"],
            "source": record.get("source"),
        }
        changes = record.get("fieldChanges") or []
        if not changes:
            rows.append({**base, "field_path": None})
        rows.extend({**base, "field_path": change.get("fieldPath")} for change in changes)
    return pl.LazyFrame(rows, schema=AUDIT_PATH_SCHEMA)
