"""Carrying unchanged pages over from the previous report instead of rendering them again.

Every reusable page (flow pages, monthly history pages) gets a key: a hash of everything
it shows (its records, versions and the names it prints) and of how it is drawn (the
templates, the report code, the settings that change a page). The keys are written beside
the pages in `pages.json`; the next rendering links (or copies) a page from the previous
dated folder when its key is unchanged, so a night re-renders only what changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment

MANIFEST = "pages.json"
_CODE_PACKAGES = ("report", "transform")


@dataclass
class PreviousReport:
    """The newest earlier report folder and the keys of its pages (empty when there is none)."""

    folder: Path | None = None
    keys: dict[str, str] = field(default_factory=dict)

    def with_other_part(self, relative: str, key: str, separator: str) -> Path | None:
        """The previous copy of a page whose own key is unchanged but whose part's is not."""
        previous = self.keys.get(relative)
        if self.folder is None or previous is None or not previous.startswith(key + separator):
            return None
        path = self.folder / relative
        return path if path.is_file() else None

    def reusable(self, relative: str, key: str) -> Path | None:
        """The previous copy of a page whose key is unchanged, if it is still there."""
        if self.folder is None or self.keys.get(relative) != key:
            return None
        path = self.folder / relative
        return path if path.is_file() else None


def find_previous_report(folders: Iterable[Path]) -> PreviousReport:
    """The newest of the given dated folders that holds a readable page manifest."""
    for folder in sorted(folders, key=lambda p: p.name, reverse=True):
        try:
            keys = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(keys, dict):
            return PreviousReport(folder, {str(k): str(v) for k, v in keys.items()})
    return PreviousReport()


def page_key(*parts: Any) -> str:
    """A stable hash of a page's inputs (JSON-able parts; datetimes as text)."""
    text = json.dumps(parts, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rendering_salt(env: Environment, *settings: Any) -> str:
    """What every key shares: template sources, the report code, and the given settings."""
    digest = hashlib.sha256()
    for name in sorted(env.list_templates()):
        source, _filename, _uptodate = env.loader.get_source(env, name)  # type: ignore[union-attr]
        digest.update(name.encode() + b"\0" + source.encode("utf-8") + b"\0")
    package_root = Path(__file__).resolve().parent.parent
    for package in _CODE_PACKAGES:
        for module in sorted((package_root / package).glob("*.py")):
            digest.update(module.name.encode() + b"\0" + module.read_bytes() + b"\0")
    digest.update(json.dumps(settings, default=str, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()
