"""The typed context each report page renders: one dataclass per page, built in Python.

Templates only lay these out; every count, label and link is decided before rendering."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowaudit.report.filters import is_long, iso_when

if TYPE_CHECKING:
    from flowaudit.report.health import HealthChart
    from flowaudit.report.impact import FailureList
    from flowaudit.report.verdict import LocalTime, Verdict


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Value:
    """A configuration value ready to show: text (pretty JSON) or absent."""

    text: str = ""
    present: bool = True

    @property
    def folded(self) -> bool:
        return is_long(self.text)


ABSENT = Value("", present=False)


@dataclass(frozen=True)
class FieldChange:
    path: str
    kind: str  # added | removed | modified | moved
    old: Value
    new: Value
    label: str = ""  # explained | unexplained | system (drift only)
    lines: object = None  # a long string's LineDiff (report/field_diff.py), shown instead of old/new


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    marks: str = ""  # CSS classes: "last-night" (since the previous run), "partial" (the day so far)


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    max_value: int
    first_label: str
    last_label: str
    total: int
    marked: bool = False  # whether a bar is marked (the chart then has a legend)


@dataclass(frozen=True)
class Ranked:
    text: str
    count: int
    href: str = ""


@dataclass(frozen=True)
class Page:
    """What every page shares: title, where it sits, and whether the data is stale."""

    title: str
    account: str
    generated_at: datetime
    data_as_of: datetime | None
    stale_since: datetime | None = None
    stale_reason: str = ""
    root: str = ""  # relative prefix back to the report folder ("" or "../")
    # A page carried over to later reports while its inputs stay the same: its header
    # says when it was rendered rather than claiming the newest data time.
    reusable: bool = False
    nav: tuple[Link, ...] = ()


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    status: str
    mode: str
    started_at: datetime | None
    finished_at: datetime | None
    observed_at: datetime | None
    error: str


@dataclass(frozen=True)
class DriftSummary:
    baseline_label: str
    added: int
    removed: int
    modified: int
    disabled: int
    schedules_changed: int
    explained: int
    unexplained: int
    system: int
    invisible: int


@dataclass(frozen=True)
class IndexPage:
    page: Page
    last_run: RunSummary | None
    last_success: RunSummary | None
    counts: tuple[Ranked, ...]
    charts: tuple[BarChart, ...]
    top_flows: tuple[Ranked, ...]
    top_people: tuple[Ranked, ...]
    drift: DriftSummary | None
    audit_gaps: tuple[str, ...]
    audit_covered_since: datetime | None
    history_links: tuple[Link, ...]
    flow_links: tuple[Link, ...]
    clock_notes: tuple[str, ...] = ()  # a server clock far ahead, a watermark not trusted
    failures: FailureList | None = None  # changes followed by failures (report/impact.py)
    verdict: Verdict | None = None  # the first screen: the night's verdict and what needs attention
    flow_groups: tuple = ()  # flow_list.FlowGroup: the flow pages by integration
    people_split: tuple = ()  # charts.PersonSplit: changes per person, UI and API apart
    heatmap: Any = None  # charts.Heatmap: changes by weekday and hour in the display time zone
    notifications: tuple = ()  # the newest digests sent or tried, failed ones with their error


@dataclass(frozen=True)
class ChangeTable:
    """A change-history table as the page carries it: its id, how many rows, and the rows as
    data the page's script draws (flowaudit.report.change_table)."""

    table_id: str
    count: int
    payload: str  # JSON, safe inside <script type="application/json">
    attention_known: bool = False  # whether rows say which need attention (the filter is offered)

    @property
    def data_id(self) -> str:
        return f"{self.table_id}-data"


@dataclass(frozen=True)
class ChangesPage:
    page: Page
    period: str
    since: datetime | None
    until: datetime | None
    previous_run_at: datetime | None
    changes: ChangeTable
    left_out: str = ""  # what this page does not show, and where it is
    other_pages: tuple[Link, ...] = ()
    periods: tuple[Period, ...] = ()  # recent changes: the period switcher's choices, default first


@dataclass(frozen=True)
class Period:
    """A choice of the recent changes' period switcher: records after `start` (None: all)."""

    key: str  # in the page's address: #period=<key>
    text: str
    start: datetime | None


@dataclass(frozen=True)
class DriftResource:
    resource_type: str
    resource_id: str
    name: str
    status: str
    href: str
    fields: tuple[FieldChange, ...]
    label: str  # the resource's worst label: unexplained > system > explained
    became_disabled: bool = False
    became_enabled: bool = False
    schedule_changed: bool = False
    flows: tuple[Link, ...] = ()


@dataclass(frozen=True)
class InvisibleRecord:
    event_id: str
    time: datetime
    user: str
    source: str
    event: str
    resource_type: str
    resource_name: str
    field_paths: tuple[str, ...]


@dataclass(frozen=True)
class DriftPage:
    page: Page
    summary: DriftSummary
    baseline_at: datetime | None
    current_at: datetime | None
    resources: tuple[DriftResource, ...]
    invisible: tuple[InvisibleRecord, ...]
    ignored_fields: tuple[str, ...]
    ignored_changes: tuple[str, ...]
    note: str = ""
    left_out: str = ""  # which resources this part lists, and where the others are
    other_pages: tuple[Link, ...] = ()
    pin: PinNote | None = None  # the pinned baseline compared with: who pinned it, when, why
    side_by_side: SideBySide | None = None  # with a pinned baseline: the night's drift beside it


@dataclass(frozen=True)
class PinNote:
    """A pinned baseline as the drift page states it."""

    name: str
    as_of: LocalTime | None
    run_id: int | None
    pinned_at: LocalTime | None
    pinned_by: str
    note: str  # the approval it stands for (a change ticket); empty when none was given


@dataclass(frozen=True)
class DriftSide:
    """How a resource differs on one side of the side-by-side table."""

    status: str  # added | removed | modified
    label: str  # its worst reconciliation label
    fields: tuple[str, ...]  # the changed field paths


@dataclass(frozen=True)
class DriftPair:
    resource_type: str
    name: str
    href: str
    previous: DriftSide | None  # None: no drift since the previous run
    baseline: DriftSide | None  # None: no drift from the pinned baseline


@dataclass(frozen=True)
class SideBySide:
    """Drift since the previous run and from the pinned baseline, one row per resource."""

    previous: DriftSummary
    previous_at: LocalTime | None
    baseline: DriftSummary
    baseline_at: LocalTime | None
    rows: tuple[DriftPair, ...]
    left_out: int  # resources not listed (beyond the page's limit)


@dataclass(frozen=True)
class Step:
    role: str  # source | destination/lookup | router branch
    resource_type: str
    resource_id: str
    name: str
    where: str
    href: str = ""  # its row on the resources page
    connection: Link | None = None  # the connection it uses now, linked to its row there


@dataclass(frozen=True)
class FlowVersion:
    number: int
    valid_from: str  # ISO-8601 UTC ("" when unknown)
    valid_to: str  # "" while current
    origin: str
    changed: tuple[str, ...]  # the fields this version changed (flowaudit.report.flow_page)
    more_changed: int = 0  # ... and how many more
    author: str = ""  # who made it: the user's name (e-mail on hover)
    author_email: str = ""
    source: str = ""  # ui | api | system | ...
    label: str = ""  # explained | system | unexplained (version_changes)
    changed_after: str = ""  # an unexplained version: happened after this (ISO-8601 UTC) ...
    changed_before: str = ""  # ... and by this

    @property
    def when(self) -> str:
        """When it was valid, for people; an unexplained version: when it changed."""
        until = iso_when(self.valid_to) if self.valid_to else "now"
        if self.label == "unexplained" and self.changed_before:
            after = iso_when(self.changed_after) if self.changed_after else "(before records)"
            return f"changed between {after} and {iso_when(self.changed_before)}, valid to {until}"
        return f"from {iso_when(self.valid_from) if self.valid_from else '(before records)'} to {until}"

    @property
    def source_text(self) -> str:
        return self.source.upper() if self.source in ("ui", "api") else self.source


@dataclass(frozen=True)
class FlowPage:
    page: Page
    flow_id: str
    name: str
    integration: str
    disabled: bool
    schedule: str
    deleted: bool
    steps: tuple[Step, ...]
    config: Value
    versions: tuple[FlowVersion, ...]  # the newest (flow_page.TIMELINE_DRAWN), newest first
    version_data: str  # JSON {"versions": [...]}: per-version patches, newest first (flow_page.back_patches)
    changes: ChangeTable
    left_out: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    health: HealthChart | None = None  # runs per day beside the changes (report/health.py)
    health_marks: str = ""  # what the chart marks, as JSON (report/flow_health_part.py)
    scripts: tuple = ()  # the scripts it uses (flowaudit.report.account_contexts.FlowScript)
    schedule_words: str = ""  # the schedule said in words with its time zone ("" : unknown form)
    configs: str = ""  # JSON: steps' documents at each version and the compared pairs (flow_page)
    older_versions: int = 0  # versions the page's script draws from version_data (flow_page)
