"""`flowaudit report` command(s)."""

from flowaudit.cli.app import app  # noqa: F401
