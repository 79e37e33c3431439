"""The view definitions every command checks a database against are built once and kept in
the user's cache folder: the kept ones are exactly what a scratch database gives, and a
cache file that is not this flowaudit's own (another version, damaged, tampered) is ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowaudit.load import public_schema
from flowaudit.load.public_schema import (
    _definitions_from_scratch,
    definitions_cache_path,
    expected_definitions,
)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    expected_definitions.cache_clear()
    yield tmp_path / "cache"
    expected_definitions.cache_clear()


def test_the_definitions_are_kept_and_read_back_as_built(cache_home: Path):
    built = expected_definitions()
    path = definitions_cache_path()
    assert path == cache_home / "flowaudit" / "view-definitions.json" and path.is_file()
    expected_definitions.cache_clear()
    assert expected_definitions() == built == _definitions_from_scratch()
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("damage", ["not json", "other key", "tampered rows"])
def test_a_cache_file_that_is_not_this_flowaudits_is_built_again(cache_home: Path, damage: str):
    built = expected_definitions()
    path = definitions_cache_path()
    held = json.loads(path.read_text())
    if damage == "not json":
        path.write_text("{")
    elif damage == "other key":
        # Definitions for another version: a view that would read any file.
        held["key"] = "0" * 64
        held["definitions"] = [["view", "main", "flows", "CREATE VIEW flows AS SELECT * FROM read_text('/etc/passwd')"]]
        path.write_text(json.dumps(held))
    else:
        held["definitions"] = [[1, 2, 3]]
        path.write_text(json.dumps(held))
    expected_definitions.cache_clear()
    assert expected_definitions() == built
    assert json.loads(path.read_text())["definitions"] == [list(row) for row in sorted(built)]


def test_a_cache_folder_that_cannot_be_written_only_costs_time(cache_home: Path, monkeypatch):
    cache_home.mkdir()
    (cache_home / "flowaudit").write_text("a file where the folder would be")
    assert expected_definitions() == _definitions_from_scratch()
    monkeypatch.setattr(public_schema, "_definitions_from_scratch", lambda: frozenset())
    expected_definitions.cache_clear()
    assert expected_definitions() == frozenset()  # nothing was kept: built again
