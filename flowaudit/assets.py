"""Where the SQL files and report templates are.

In an installed wheel they are copied into `flowaudit/_assets/`; in a source checkout
(editable install, tests) they are the top-level `queries/` and `reports/templates/`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = _PACKAGE_DIR.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"flowaudit assets not found in any of: {', '.join(map(str, candidates))}"
    )


@cache
def queries_dir() -> Path:
    """The directory of flowaudit's SQL files."""
    return _first_existing(_PACKAGE_DIR / "_assets" / "queries", _SOURCE_ROOT / "queries")


@cache
def templates_dir() -> Path:
    """The directory of the built-in report templates."""
    return _first_existing(
        _PACKAGE_DIR / "_assets" / "templates", _SOURCE_ROOT / "reports" / "templates"
    )


def read_query(name: str) -> str:
    """Text of `queries/<name>` (name may contain a subfolder, e.g. 'views/flows.sql')."""
    return (queries_dir() / name).read_text(encoding="utf-8")
