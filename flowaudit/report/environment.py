"""The one jinja2 Environment of the reports: autoescaped, StrictUndefined, filters from
flowaudit.report.filters. A user's templates directory comes first; any template it lacks
is taken from the built-in set, so restyling one page does not mean copying them all.
A change-history row is rendered once per rendering and reused on every page listing it."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from flowaudit import assets
from flowaudit.errors import ConfigError
from flowaudit.report import filters


def make_environment(user_templates: Path | None = None) -> Environment:
    """The report environment; `user_templates` overrides built-in templates file by file."""
    loaders = []
    if user_templates is not None:
        if not user_templates.is_dir():
            raise ConfigError(f"templates directory not found: {user_templates}")
        loaders.append(FileSystemLoader(str(user_templates)))
    loaders.append(FileSystemLoader(str(assets.templates_dir())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "htm", "xml", "svg"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    filters.register(env)
    env.globals["event_row"] = _cached_rows(env)
    return env


def _cached_rows(env: Environment):
    # An event appears on the recent-changes page, its month's page and each of its flows'
    # pages: its row (field changes pretty-printed, escaped) is the costly part of them all.
    cache: dict[tuple, Markup] = {}

    def event_row(event) -> Markup:
        key = (event.event_id, event.new_since_last_run, tuple(link.href for link in event.flows))
        row = cache.get(key)
        if row is None:
            row = Markup(env.get_template("_event_row.html").render(e=event))
            cache[key] = row
        return row

    return event_row
