"""Shared test fixtures. Tests are hermetic: no FLOWAUDIT_* variable and no config file
from the developer's machine leaks into them."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _hermetic_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
):
    for name in list(os.environ):
        if name.startswith("FLOWAUDIT_"):
            monkeypatch.delenv(name, raising=False)
    # Config discovery reads ./flowaudit.toml: run every test from an empty directory.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
