"""One check of `flowaudit doctor`: its name, ok/warn/FAIL/skip, one line of words, and the
exit code a failure stands for (the same table as every command, flowaudit.errors). A
warning says what to fix but does not fail the doctor."""

from __future__ import annotations

from dataclasses import dataclass

from flowaudit.errors import ExitCode, FlowauditError
from flowaudit.secrets import scrub

OK, WARN, FAIL, SKIP = "ok", "warn", "FAIL", "skip"


@dataclass(frozen=True)
class Check:
    """The outcome of one check; `details` are extra indented lines (settings, data checks)."""

    name: str
    status: str
    message: str
    exit_code: ExitCode = ExitCode.OK
    details: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        head = f"{self.status:<4}  {self.name:<9} {scrub(self.message)}"
        return [head, *(f"{'':16}{scrub(detail)}" for detail in self.details)]


def ok(name: str, message: str, details: tuple[str, ...] = ()) -> Check:
    return Check(name, OK, message, ExitCode.OK, details)


def warn(name: str, message: str) -> Check:
    return Check(name, WARN, message, ExitCode.OK)


def skip(name: str, message: str) -> Check:
    return Check(name, SKIP, message)


def fail(name: str, message: str, code: ExitCode, details: tuple[str, ...] = ()) -> Check:
    return Check(name, FAIL, message, code, details)


def fail_from(name: str, error: FlowauditError) -> Check:
    """A failed check carrying a FlowauditError's message and exit code."""
    return fail(name, error.message, error.exit_code)
