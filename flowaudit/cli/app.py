"""The typer application every command module registers on."""

from __future__ import annotations

import typer

from flowaudit import __version__
from flowaudit.errors import EXIT_CODE_MEANINGS

# "\b" keeps click from re-wrapping the table: one line per code, as in the README.
EXIT_CODES_HELP = "Exit codes (the same for every command):\n\n\b\n" + "\n".join(
    f"{int(code):>3}  {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()
)

app = typer.Typer(
    name="flowaudit",
    help=(
        "Know what changed in an integrator.io account, who changed it, and whether "
        "production still matches what was approved.\n\n" + EXIT_CODES_HELP
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"flowaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """flowaudit command line."""
