"""A flow page's run chart as a part of its own (flowaudit.report.units, PagePart): a flow
that runs every day has a new chart every night while the rest of its page stays the same,
so a night draws only the chart again, into the page it drew before.

The chart is drawn from the flow's runs per day (read for every flow when the report is
planned) and from its marks: the versions and its steps' changes. The marks are the page's
own content (its key covers them); the page carries them (the data block `health-marks`), so
that the chart of any later day can be drawn from them and the runs alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from jinja2 import Environment

from flowaudit import jsonfast
from flowaudit.report.change_table import script_json
from flowaudit.report.contexts import Page
from flowaudit.report.data_blocks import block_json_in
from flowaudit.report.health import HealthChart, HealthRow, build_health_chart, utc_instant

PART_TEMPLATE = "_flow_health.html"
META_TEMPLATE = "_page_meta.html"  # the page's "rendered ... from data as of" line
META_BEGIN, META_END = '<p class="meta">', "</p>"
PART_BEGIN, PART_END = "<!--part:health-->", "<!--/part:health-->"
MARKS_BLOCK = "health-marks"  # the data block carrying the marks (packed when large)


@dataclass(frozen=True)
class MarkedVersion:
    """What a chart marks of a version (flowaudit.report.contexts.FlowVersion has more)."""

    number: int
    valid_from: str


def marks_json(versions: Iterable, step_changes: Iterable[tuple[datetime, str, str]]) -> str:
    """The page's marks, whatever the chart's days (versions: objects with number and
    valid_from, as ISO-8601 text or datetimes): the page's text must not change with the date."""
    return script_json({
        "versions": [[v.number, _text(v.valid_from)] for v in versions if v.valid_from],
        "steps": [[moment.isoformat(), what, who] for moment, what, who in step_changes],
    })  # fmt: skip


def health_chart(
    rows: Sequence[HealthRow], first: date, last: date, versions: Iterable, step_changes: Iterable
) -> HealthChart | None:
    """The chart a page shows (None: the flow did not run in the period)."""
    if not rows:
        return None
    return build_health_chart(rows, first, last, versions, step_changes)


def redraw(text: str, env: Environment, page: Page, rows: Sequence[HealthRow], first: date, last: date) -> str | None:
    """The page `text` with its chart drawn again for these runs and days, and its line of
    when and from which data it was drawn said anew (`page`: the page's header now); None
    when the page has no part to draw into."""
    begin, end = text.find(PART_BEGIN), text.find(PART_END)
    meta_at = text.find(META_BEGIN)
    # Pages escape every `<` of their content: the markers are the template's, once each.
    if min(begin, end, meta_at) < 0 or text.find(PART_BEGIN, begin + 1) >= 0 or end < begin:
        return None
    marks_text = block_json_in(text, MARKS_BLOCK)
    if marks_text is None:
        return None
    marks = jsonfast.loads(marks_text)
    versions = [MarkedVersion(number, valid_from) for number, valid_from in marks["versions"]]
    steps = [(utc_instant(moment), what, who) for moment, what, who in marks["steps"]]
    chart = health_chart(rows, first, last, versions, steps)
    part = str(env.get_template(PART_TEMPLATE).module.flow_health(chart))
    meta = str(env.get_template(META_TEMPLATE).module.page_meta(page))
    meta_end = text.index(META_END, meta_at) + len(META_END)
    if meta_end > begin:
        return None  # the header comes first on every page
    return text[:meta_at] + meta + text[meta_end:begin] + part + text[end + len(PART_END) :]


def _text(moment: str | datetime) -> str:
    return moment if isinstance(moment, str) else moment.isoformat()
