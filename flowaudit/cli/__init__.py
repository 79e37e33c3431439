"""Command line: thin commands over the library; errors become one line and an exit code."""

from __future__ import annotations

import os
import sys

import typer

from flowaudit.cli.app import app
from flowaudit.errors import ExitCode, FlowauditError
from flowaudit.logs import log_write_failure
from flowaudit.secrets import scrub

# Each module registers its commands on `app`.
from flowaudit.cli import commands  # noqa: F401  isort: skip


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `flowaudit` console script."""
    try:
        # Not standalone, typer turns Ctrl-C/SIGTERM into a *returned* 130 (and typer.Exit
        # into its code): returned codes must reach the shell, never become a silent 0.
        returned = app(args=argv, prog_name="flowaudit", standalone_mode=False)
        if returned == ExitCode.INTERRUPTED:
            _fail("interrupted", ExitCode.INTERRUPTED)
        if isinstance(returned, int) and returned:
            sys.exit(returned)
        lost = log_write_failure()
        if lost:
            # The work is done, but cron's record of it is not: say so, as a setting problem.
            _fail(lost, ExitCode.CONFIG)
    except FlowauditError as exc:
        _fail(exc.message, exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted", ExitCode.INTERRUPTED)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:
        # typer vendors its own click (click itself need not be installed): usage errors.
        if hasattr(exc, "show"):
            exc.show()
        else:
            sys.stderr.write(f"Error: {exc.message}\n")
        sys.exit(ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code)
    except BrokenPipeError:
        # `flowaudit sql ... | head`: the reader went away; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ExitCode.OK)
    except Exception as exc:
        if os.environ.get("FLOWAUDIT_DEBUG"):
            raise
        _fail(
            f"internal error: {exc.__class__.__name__}: {scrub(str(exc))} "
            "(a bug in flowaudit; rerun with FLOWAUDIT_DEBUG=1 for the traceback)",
            ExitCode.INTERNAL,
        )
    sys.exit(ExitCode.OK)


def _fail(message: str, code: ExitCode) -> None:
    first_line = scrub(message).strip().splitlines()[0] if message.strip() else code.name
    sys.stderr.write(f"flowaudit: error: {first_line}\n")
    sys.stderr.flush()
    sys.exit(int(code))
