"""The README's operations sections stay true: every setting is documented, and every test the
Guarantees section cites exists."""

from __future__ import annotations

import re
from dataclasses import fields

from flowaudit.config import Settings
from tests.ops.cli import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_configuration_section_documents_every_setting():
    documented = set(re.findall(r"^\| `(\w+)` \|", _section("Configuration"), flags=re.MULTILINE))
    assert documented == {f.name for f in fields(Settings)} | {"region"}


def test_every_test_the_guarantees_section_cites_exists():
    section = _section("Guarantees")
    cited = re.findall(r"`((?:tests/[\w/]+/)?\w+\.py)(?:::(\w+))?`|`::(\w+)`", section)
    assert len(cited) > 10
    current_file = None
    for path, name, continued in cited:
        if path:
            current_file = ROOT / (path if path.startswith("tests/") else f"tests/ops/{path}")
            assert current_file.is_file(), path
        test = name or continued
        if test:
            assert f"def {test}(" in current_file.read_text(encoding="utf-8"), test


def test_every_public_view_and_macro_is_in_the_querying_section(con):
    from flowaudit.load.public_schema import describe_schema

    section = _section("Querying the history")
    named = set(re.findall(r"`(\w+)(?:\([^`]*\))?`", section))
    assert {doc.name for doc in describe_schema(con)} <= named
