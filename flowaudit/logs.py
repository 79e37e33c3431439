"""Logging fit for cron: plain timestamped lines on stderr (or a file), no colour, and every
line scrubbed of secrets before it is written.

A log file that cannot be opened is a configuration error (exit 3) before anything runs; one
that stops taking lines (a full disk) is remembered, not printed as a traceback: the command
finishes its work and then exits 3 saying how many lines were lost (`log_write_failure`)."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

from flowaudit.errors import ConfigError
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


class _FileHandler(logging.FileHandler):
    """A log file handler that counts the lines it could not write instead of printing
    logging's own traceback on stderr for each of them."""

    def __init__(self, path: Path):
        super().__init__(path, encoding="utf-8")
        self.failure: str | None = None
        self.lost = 0

    def emit(self, record: logging.LogRecord) -> None:
        if self.failure is not None:
            self.lost += 1
            return
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or error.__class__.__name__
        self.failure = f"cannot write the log file {self.baseFilename}: {reason}"
        self.lost += 1


_file_handler: _FileHandler | None = None


def log_write_failure() -> str | None:
    """Why the log file stopped taking lines, and how many were lost; None when it did not."""
    handler = _file_handler
    if handler is None:
        return None
    try:
        handler.flush()  # a full disk may refuse only the last buffered lines
    except OSError as exc:
        if handler.failure is None:
            handler.failure = f"cannot write the log file {handler.baseFilename}: {exc.strerror or exc}"
    if handler.failure is None:
        return None
    return f"{handler.failure} ({handler.lost} log line(s) lost)"


def setup_logging(
    *, quiet: bool = False, verbose: bool = False, log_file: Path | None = None
) -> None:
    """Send flowaudit's log lines to stderr, or to log_file when given."""
    global _file_handler
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        with contextlib.suppress(OSError):  # its failure was counted; a new one starts now
            handler.close()
    _file_handler = None
    if log_file is not None:
        handler: logging.Handler = _open_log_file(log_file)
        _file_handler = handler
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


def _open_log_file(path: Path) -> _FileHandler:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _FileHandler(path)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError(f"cannot write the log file {path}: {reason}") from None


def get_logger(name: str) -> logging.Logger:
    """A child of the flowaudit logger (pass __name__)."""
    return logging.getLogger(name if name.startswith(LOGGER_NAME) else f"{LOGGER_NAME}.{name}")
