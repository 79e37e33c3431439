"""What happened last night, and what needs attention: the verdict of the newest run and
the items of `needs_attention` (queries/views/69_needs_attention.sql) for the period since
the previous successful run, plus the drift from a pinned baseline when one is named. The
overview's first screen and the digest both read it, so they always say the same."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from flowaudit.documents.plain_words import plain_path
from flowaudit.report.queries import report_frame
from flowaudit.transform.diff import diff_values
from flowaudit.transform.line_diff import line_diff

KIND_WORDS = {
    "unexplained": "changed with no audit record",
    "security": "security-relevant change",
    "disabled": "flow disabled",
    "enabled": "flow enabled",
    "schedule": "schedule changed",
    "off_hours": "changed outside business hours",
    "api": "changed through the API",
    "baseline": "differs from the pinned baseline",
}
# The first run has no previous one: its "night" is the day before it.
FIRST_NIGHT = timedelta(hours=24)


@dataclass(frozen=True)
class AttentionItem:
    """One thing a person should look at."""

    kind: str
    priority: int
    resource_type: str
    resource_id: str
    resource_name: str | None
    field_path: str | None
    old_value: Any
    new_value: Any
    changed_at: datetime | None
    person: str | None
    source: str | None
    event_id: str | None
    changed_after: datetime | None = None
    changed_before: datetime | None = None
    detail: str | None = None  # the security reason; the local time against business hours

    @property
    def what(self) -> str:
        return KIND_WORDS.get(self.kind, self.kind)

    @property
    def subject(self) -> str:
        """`flow "Orders to ERP"`, with the field when one changed."""
        name = self.resource_name or self.resource_id
        text = f'{self.resource_type} "{name}"'
        return f"{text}, {plain_path(self.field_path)}" if self.field_path else text

    @property
    def change(self) -> str:
        """A field's old and new value, shortened ("false → true"); empty for a whole resource."""
        if self.field_path and self.new_value is not None:
            return keyed_change(self.field_path, self.old_value, self.new_value)
        return ""

    def sentence(self, when: str) -> str:
        """One line for a person: what, which resource and field, who, when."""
        who = f" by {self.person}" if self.person else ""
        how = f" ({self.source})" if self.source and self.kind != "api" else ""
        if self.kind == "unexplained" and self.changed_after is not None:
            return f"{self.subject}: {self.what} (between {when_of(self.changed_after, when)} and {when})"
        change = f": {self.change}" if self.change else ""
        why = f" ({self.detail})" if self.detail else ""
        return f"{self.subject}: {self.what}{why}{change}{who}{how}, {when}"


def when_of(moment: datetime, fallback: str) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else fallback


@dataclass(frozen=True)
class Night:
    """The newest run and what the period since the previous successful run holds."""

    account: str
    last_run: dict[str, Any] | None
    period_from: datetime | None
    period_to: datetime | None
    changes: int
    people: int
    items: tuple[AttentionItem, ...] = ()
    baseline: str | None = None
    report_link: str | None = None
    first_night: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        run = self.last_run
        return bool(run) and run["status"] == "succeeded" and run.get("audit_complete") is not False

    @property
    def attention(self) -> int:
        return len(self.items)

    @property
    def quiet(self) -> bool:
        """Nothing happened: no change and nothing to look at."""
        return self.changes == 0 and not self.items

    def verdict(self) -> str:
        """One line: the run's health, the night's changes, what needs attention."""
        run = self.last_run
        if run is None:
            health = "No run yet."
        elif run["status"] == "failed":
            health = f"The last run failed: {run.get('error') or 'no reason recorded'}."
        elif run["status"] == "running":
            health = "A run is in progress."
        elif run.get("audit_complete") is False:
            health = "The last run succeeded, but its audit log was not read completely."
        else:
            health = "The last run is healthy and complete."
        since = "in the day before the first run" if self.first_night else "since the previous run"
        people = "person" if self.people == 1 else "people"
        changes = f"{self.changes} change{'' if self.changes == 1 else 's'} by {self.people} {people} {since}"
        attention = "nothing needs attention" if not self.items else f"{self.attention} need{'s' if self.attention == 1 else ''} attention"
        return f"{health} {changes}; {attention}."

    def subject(self) -> str:
        """The digest's subject: `flowaudit: 3 need attention, 42 changes, account prod`."""
        parts = []
        if self.last_run is not None and self.last_run["status"] == "failed":
            parts.append("run failed")
        parts.append(f"{self.attention} need attention" if self.items else "nothing needs attention")
        parts.append(f"{self.changes} change{'' if self.changes == 1 else 's'}")
        parts.append(f"account {self.account}")
        return "flowaudit: " + ", ".join(parts)


def read_night(
    con: duckdb.DuckDBPyConnection, account: str, *, baseline: str | None = None, report_link: str | None = None
) -> Night:
    """The verdict and the attention items of account's newest night."""
    runs = report_frame(con, "runs", account=account).to_dicts()
    succeeded = [r for r in runs if r["status"] == "succeeded" and r["observed_at"] is not None]
    last_run = runs[0] if runs else None
    if not succeeded:
        return Night(account, last_run, None, None, 0, 0, baseline=baseline, report_link=report_link)
    period_to = succeeded[0]["observed_at"]
    first_night = len(succeeded) < 2
    period_from = period_to - FIRST_NIGHT if first_night else succeeded[1]["observed_at"]
    window = {"account": account, "from": period_from, "to": period_to}
    ((changes, people),) = report_frame(con, "night_counts", **window).iter_rows()
    items = [
        AttentionItem(**{k: _json(v) if k in ("old_value", "new_value") else v for k, v in row.items()})
        for row in report_frame(con, "attention_items", **window).iter_rows(named=True)
    ]
    if baseline is not None:
        drifted = report_frame(con, "baseline_drift", account=account, baseline=baseline)
        items += [
            AttentionItem("baseline", 5, row["resource_type"], row["resource_id"], row["name"],
                          None, None, None, None, None, None, None)
            for row in drifted.iter_rows(named=True)
        ]
    return Night(account, last_run, period_from, period_to, int(changes), int(people), tuple(items),
                 baseline, report_link, first_night)  # fmt: skip


def _json(value: Any) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


MAX_DIGEST_ENTRIES = 3  # keyed entries one digest line names; the rest are counted


def keyed_change(path: str, old: Any, new: Any) -> str:
    """A change in one line, as the report shows it: a list or object as its keyed entries
    (`[generate=Betrag] removed; [generate=Kunde].extract: a → b`), a long string as its
    changed lines counted, else "old → new"."""
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old + new or len(old + new) > 120):
        diff = line_diff(old, new)
        return f"{diff.added} line(s) added, {diff.removed} removed"
    if not (isinstance(old, dict | list) and isinstance(new, dict | list)):
        return f"{_short(old)} → {_short(new)}"
    try:
        changes = diff_values(old, new, "")
    except RecursionError:  # a value nested hundreds of levels deep (the API serves what it was given)
        return f"{_short(old)} → {_short(new)}"
    said = []
    for c in changes[:MAX_DIGEST_ENTRIES]:
        where = c.path if c.path.startswith("[") else f".{c.path}" if c.path else ""
        said.append(f"{where}: {_short(c.old, 30)} → {_short(c.new, 30)}" if c.kind == "modified" else f"{where} {c.kind}")
    more = f"; and {len(changes) - MAX_DIGEST_ENTRIES} more" if len(changes) > MAX_DIGEST_ENTRIES else ""
    return "; ".join(said) + more


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"
