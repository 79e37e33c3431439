"""render_reports: the whole report set from a database, written per run with a stable
`latest/` copy. No network; the database is only read.

One pass over flowaudit.report.pages.PAGES: what every page shares is read once (the Site),
then each unit plans its files; a file whose reuse key equals the previous report's is
carried over from it, the others are fetched, built and written one after another, so memory
holds one batch of pages at a time whatever the account's size."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from jinja2 import Environment

from flowaudit.audit_trail.rules import RuleSet
from flowaudit.config import Settings
from flowaudit.errors import DatabaseError
from flowaudit.load.db import connect, describe_duckdb_error
from flowaudit.load.migrations import check_schema
from flowaudit.load.public_schema import check_public_schema
from flowaudit.logs import get_logger
from flowaudit.report.environment import make_environment
from flowaudit.report.output import ReportFolder, dated_folders, prune_old_folders
from flowaudit.report.pages import PAGES
from flowaudit.report.queries import memory_bound
from flowaudit.report.resources_page import SPLIT_TYPES
from flowaudit.report.reuse import MANIFEST, PreviousReport, find_previous_report, rendering_salt
from flowaudit.report.site import NAV, Site, as_utc, fetch_site
from flowaudit.report.units import PART_SEPARATOR

log = get_logger(__name__)


def render_reports(
    con_or_path: duckdb.DuckDBPyConnection | Path | str,
    out_dir: Path,
    settings: Settings,
    *,
    since: datetime | None = None,
    baseline: str | None = None,
    stale_since: datetime | None = None,
    now: datetime | None = None,
) -> Path:
    """Render every report page from the database; return the path of the run's index.html.

    Pages whose inputs did not change since the newest earlier report in out_dir are
    carried over from it instead of rendered again."""
    if isinstance(con_or_path, str | Path):
        con = connect(con_or_path, read_only=True)
        try:
            return render_reports(con, out_dir, settings, since=since, baseline=baseline,
                                  stale_since=stale_since, now=now)  # fmt: skip
        except duckdb.Error as exc:  # a damaged file fails its first real read, not its opening
            raise DatabaseError(describe_duckdb_error(con_or_path, exc)) from None
        finally:
            con.close()
    with memory_bound(con_or_path):  # set back after: the caller's connection is theirs
        return _render(con_or_path, out_dir, settings, since, baseline, stale_since, now)


def _render(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    settings: Settings,
    since: datetime | None,
    baseline: str | None,
    stale_since: datetime | None,
    now: datetime | None,
) -> Path:
    check_schema(con)  # a database from a newer flowaudit is refused, not misread
    check_public_schema(con)  # and so is SQL stored in the file that this flowaudit did not write
    now = as_utc(now) or datetime.now(UTC)
    out_dir = Path(out_dir)
    env = make_environment(settings.templates_dir)
    site = fetch_site(
        con, settings.account, now=now, since=as_utc(since), pattern=settings.secret_field_pattern,
        volatile=tuple(settings.volatile_fields), baseline=baseline, stale_since=as_utc(stale_since),
    )  # fmt: skip
    site = replace(site, rules=RuleSet.from_settings(settings), display_timezone=settings.display_timezone, salt=rendering_salt(env, site.account, site.pattern, site.volatile,
                                             site.stale_since, site.stale_reason, NAV,
                                             # where flow pages link their steps to:
                                             [site.resource_parts(t) for t in SPLIT_TYPES]))  # fmt: skip
    previous = find_previous_report(dated_folders(out_dir))
    with ReportFolder(out_dir, now) as folder:
        keys = render_pages(con, site, env, folder, previous)
        folder.write(MANIFEST, json.dumps(keys, indent=0, sort_keys=True))
        target = folder.finish()
    removed = prune_old_folders(out_dir, settings.retention_days, now)
    if removed:
        log.info(
            "removed %d report folder(s) older than %d days", len(removed), settings.retention_days
        )
    log.info("reports written to %s (%d pages rendered, %d of them only in part; %d unchanged pages carried over)",
             target, folder.written - 1, folder.partly, folder.linked)  # fmt: skip
    return target / "index.html"


def render_pages(
    con: duckdb.DuckDBPyConnection,
    site: Site,
    env: Environment,
    folder: ReportFolder,
    previous: PreviousReport,
) -> dict[str, str]:
    """Every page of every unit, drawn into folder or carried over from previous; return the
    reuse keys of the reusable pages (the next rendering's pages.json)."""
    keys: dict[str, str] = {}
    for unit in PAGES:
        template = env.get_template(unit.template)
        todo = []
        for page in unit.plan(con, site):
            key = page.manifest_key
            earlier = None
            if key is not None:
                keys[page.path] = key
                earlier = previous.reusable(page.path, key)
            if earlier is not None:
                folder.link(page.path, earlier)
                continue
            if page.part is not None and page.key is not None:
                source = previous.with_other_part(page.path, page.key, PART_SEPARATOR)
                text = unit.redraw_part(site, page, env, source.read_text(encoding="utf-8")) if source else None
                if text is not None:
                    folder.write(page.path, text, part_only=True)
                    continue
            todo.append(page)
        for page, data in unit.fetch(con, site, todo):
            folder.write(page.path, template.render(ctx=unit.build(site, page, data)))
    return keys


__all__ = ["render_pages", "render_reports"]
