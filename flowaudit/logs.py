"""Logging fit for cron: plain timestamped lines on stderr (or a file), no colour, and every
line scrubbed of secrets before it is written."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from flowaudit.secrets import scrub

LOGGER_NAME = "flowaudit"


class _ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _TerminalHandler(logging.StreamHandler):
    """On a terminal, a log line first wipes the live progress line (which the progress
    reporter redraws on its next event), so the two never run into each other."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream.write("\r\x1b[2K")
        super().emit(record)


def setup_logging(
    *, quiet: bool = False, verbose: bool = False, log_file: Path | None = None
) -> None:
    """Send flowaudit's log lines to stderr, or to log_file when given."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
    elif sys.stderr.isatty():
        handler = _TerminalHandler(sys.stderr)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _ScrubbingFormatter("%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def get_logger(name: str) -> logging.Logger:
    """A child of the flowaudit logger (pass __name__)."""
    return logging.getLogger(name if name.startswith(LOGGER_NAME) else f"{LOGGER_NAME}.{name}")
