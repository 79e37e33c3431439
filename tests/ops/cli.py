"""Helpers of the cron-path tests: run `flowaudit` as a real subprocess (as cron would), and
serve simulated accounts on loopback from a thread of the test process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def flowaudit(*args: str, env: dict[str, str] | None = None, timeout: float = 120, **kwargs):
    """`python -m flowaudit ARGS` with os.environ (hermetic in tests) plus env."""
    return subprocess.run(
        [sys.executable, "-m", "flowaudit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        **kwargs,
    )


def start_flowaudit(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """The same, started in the background (stdout and stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "flowaudit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""
