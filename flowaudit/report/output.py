"""Where rendered reports go: `OUT/<YYYY-MM-DD>/` per run (a time suffix when that folder
exists), a stable `OUT/latest/` copy (not a symlink, so it works on file shares), and
retention that prunes old dated folders. Pages carried over unchanged from an earlier
folder are hard links where the file system allows (copies otherwise), so thirty nights
of reports cost little more than one. Any failure to write is a ReportOutputError.

Only folders whose name is a real date are flowaudit's (a stray `0000-00-00` is left
alone), and the half-written folders of a rendering that was killed (`.<date>.partial-PID`,
`.latest.new-PID`, `.latest.old-PID`) are removed by the next one once that process is gone."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

from flowaudit.errors import ReportOutputError

DATED = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(-\d{6}(-\d+)?)?$")
LATEST = "latest"
_LEFTOVER = re.compile(
    r"^\.(?:\d{4}-\d{2}-\d{2}(?:-\d{6}(?:-\d+)?)?\.partial|latest\.new|latest\.old)-(?P<pid>\d+)$"
)


def folder_date(name: str) -> date | None:
    """The date a report folder is named after; None for any other name (`0000-00-00` too)."""
    match = DATED.match(name)
    if match is None:
        return None
    try:
        return datetime.strptime(match["date"], "%Y-%m-%d").date()
    except ValueError:
        return None


def _fail(action: str, path: Path, exc: OSError) -> ReportOutputError:
    reason = exc.strerror or exc.__class__.__name__
    return ReportOutputError(f"cannot {action} {path}: {reason}")


def choose_run_folder(out_dir: Path, now: datetime) -> Path:
    """A new dated folder name under out_dir for this rendering."""
    candidate = out_dir / f"{now:%Y-%m-%d}"
    if not candidate.exists():
        return candidate
    candidate = out_dir / f"{now:%Y-%m-%d-%H%M%S}"
    number = 2
    while candidate.exists():
        candidate = out_dir / f"{now:%Y-%m-%d-%H%M%S}-{number}"
        number += 1
    return candidate


def dated_folders(out_dir: Path) -> list[Path]:
    """The dated report folders under out_dir (any order)."""
    if not out_dir.is_dir():
        return []
    return [child for child in out_dir.iterdir() if folder_date(child.name) and child.is_dir()]


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link when the file system allows it (an unchanged page costs no space), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class ReportFolder:
    """A new dated folder under out_dir, written page by page (a page is written as soon as
    it is drawn: a large report is never held in memory whole) in a hidden staging folder;
    `finish` renames it into place and refreshes `latest`. Used as a context manager: a
    rendering that fails leaves nothing behind."""

    def __init__(self, out_dir: Path, now: datetime):
        self.out_dir = out_dir
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _fail("create report directory", out_dir, exc) from None
        if not os.access(out_dir, os.W_OK):
            raise ReportOutputError(f"cannot write to report directory {out_dir}: permission denied")
        remove_leftovers(out_dir)
        self.target = choose_run_folder(out_dir, now)
        self.staging = out_dir / f".{self.target.name}.partial-{os.getpid()}"
        self.written = 0
        self.partly = 0  # of the pages written, those drawn again only in part
        self.linked = 0

    def __enter__(self) -> ReportFolder:
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        if kind is not None:
            shutil.rmtree(self.staging, ignore_errors=True)

    def write(self, relative: str, text: str, *, part_only: bool = False) -> None:
        """Write one page (part_only: an earlier page with one part drawn again)."""
        path = self.staging / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _fail("write reports to", self.out_dir, exc) from None
        self.written += 1
        self.partly += part_only

    def link(self, relative: str, source: Path) -> None:
        """Carry a page over from an earlier folder (hard link, or a copy)."""
        path = self.staging / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(source, path)
        except OSError as exc:
            raise _fail("write reports to", self.out_dir, exc) from None
        self.linked += 1

    def finish(self) -> Path:
        """Put the folder in place (a reader never sees it half-written) and refresh `latest`."""
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
            self.staging.rename(self.target)
            _replace_latest(self.out_dir, self.target)
        except OSError as exc:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise _fail("write reports to", self.out_dir, exc) from None
        return self.target


def _replace_latest(out_dir: Path, source: Path) -> None:
    latest = out_dir / LATEST
    fresh = out_dir / f".{LATEST}.new-{os.getpid()}"
    old = out_dir / f".{LATEST}.old-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(source, fresh, copy_function=link_or_copy)
    if latest.exists():
        latest.rename(old)
    fresh.rename(latest)
    shutil.rmtree(old, ignore_errors=True)


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Remove the half-written folders of renderings whose process is gone; return them."""
    removed = []
    for child in out_dir.iterdir():
        match = _LEFTOVER.match(child.name)
        if match and child.is_dir() and not _process_alive(int(match["pid"])):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is not writing it: it is starting a new rendering
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: leave its folder alone
    except OverflowError:
        return False
    return True


def prune_old_folders(out_dir: Path, retention_days: int, now: datetime) -> list[Path]:
    """Remove dated folders older than retention_days; return what was removed."""
    cutoff = (now - timedelta(days=retention_days)).date()
    removed = []
    for child in sorted(out_dir.iterdir()) if out_dir.is_dir() else []:
        day = folder_date(child.name)
        if day is None or not child.is_dir():
            continue
        if day < cutoff:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed
