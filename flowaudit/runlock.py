"""One run at a time per database: an advisory lock file beside it.

The lock is an OS file lock (flock), so it dies with its process: a run killed by
`kill -9` or a reboot leaves a file behind but no lock, and the next run takes over,
noting that the previous holder is gone. The file records who holds it, for the message."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flowaudit.errors import RunInProgressError
from flowaudit.logs import get_logger

log = get_logger(__name__)


def lock_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".run.lock")


@contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """Hold the run lock of db_path for the duration of the block, or fail at once."""
    path = lock_path_for(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe_holder(fd)
            raise RunInProgressError(
                f"another flowaudit run is already running on {db_path}{holder}; "
                "this one exits without doing anything"
            ) from None
        previous = _read_holder(fd)
        if previous:
            log.info(
                "previous run lock of pid %s (started %s) was left behind by a process that is gone; taking over",
                previous.get("pid"),
                previous.get("started_at"),
            )
        _write_holder(fd)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe_holder(fd: int) -> str:
    holder = _read_holder(fd)
    if not holder:
        return ""
    return f" (pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started_at')})"


def _write_holder(fd: int) -> None:
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(info).encode("utf-8"))
