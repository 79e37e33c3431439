"""Running `flowaudit` in the test process (through the same entry point as the console
script, so exit codes and the one-line error are the real ones)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowaudit.cli import main


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main(list(args))
    captured = capsys.readouterr()
    code = ended.value.code
    return Outcome(int(code) if code is not None else 0, captured.out, captured.err)
