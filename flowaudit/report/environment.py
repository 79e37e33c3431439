"""The one jinja2 Environment of the reports: autoescaped, StrictUndefined, filters from
flowaudit.report.filters. A user's templates directory comes first; any template it lacks
is taken from the built-in set, so restyling one page does not mean copying them all."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

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
    return env
