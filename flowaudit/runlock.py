"""One run at a time per database: an advisory lock file beside it.

The lock is an OS file lock (flock), so it dies with its process: a run killed by
`kill -9` or a reboot leaves a file behind but no lock, and the next run takes over,
noting that the previous holder is gone. The file records who holds it, for the message.

The lock belongs to the database file, not to the path it was named by: the lock file sits
beside the resolved path (symlinks to the file or to its folder, `..`, relative names all
reach the same one), and while the file exists a second lock keyed on its device and inode
is held as well, so two names of one file (a hard link in the same folder) cannot run at
once either. A run that creates the database takes that second lock as soon as it exists
(`RunLock.hold_file`)."""

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
    """The run lock file of a database: beside the file its path resolves to."""
    resolved = Path(os.path.realpath(db_path))
    return resolved.with_name(resolved.name + ".run.lock")


def file_lock_path_for(db_path: Path) -> Path | None:
    """The lock file keyed on the database file's device and inode (None: no file yet)."""
    resolved = Path(os.path.realpath(db_path))
    try:
        info = resolved.stat()
    except OSError:
        return None
    return resolved.with_name(f".flowaudit-run-{info.st_dev:x}-{info.st_ino:x}.lock")


class RunLock:
    """The locks a run holds; `hold_file` adds the device-and-inode one once the file exists."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self._fds: list[int] = []

    def hold_file(self) -> None:
        """Also hold the lock keyed on the database file itself (no-op if held or no file)."""
        if len(self._fds) > 1:
            return
        path = file_lock_path_for(self.db_path)
        if path is not None:
            self._fds.append(_acquire(path, self.db_path, announce=False))

    def release(self) -> None:
        for fd in reversed(self._fds):
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._fds.clear()


@contextmanager
def run_lock(db_path: Path) -> Iterator[RunLock]:
    """Hold the run lock of db_path for the duration of the block, or fail at once."""
    lock = RunLock(db_path)
    lock._fds.append(_acquire(lock_path_for(db_path), db_path, announce=True))
    try:
        lock.hold_file()
        yield lock
    finally:
        lock.release()


def _acquire(path: Path, db_path: Path, *, announce: bool) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _describe_holder(fd)
        os.close(fd)
        raise RunInProgressError(
            f"another flowaudit run is already running on {db_path}{holder}; "
            "this one exits without doing anything"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    previous = _read_holder(fd)
    if previous and announce:
        log.info(
            "previous run lock of pid %s (started %s) was left behind by a process that is gone; taking over",
            previous.get("pid"),
            previous.get("started_at"),
        )
    _write_holder(fd)
    return fd


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
