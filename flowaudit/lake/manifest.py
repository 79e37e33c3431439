"""What the lake holds, written beside it: `_manifest.json` (per account and view: rows,
partitions and one hash over them) and `_partitions/account=<label>.json` (per partition:
rows, a content fingerprint, the file's sha256 and size).

Several machines may export different accounts into one lake: each account's partition file
is written only under that account's export lock, and `_manifest.json` is merged under a
lock of its own, so neither ever loses another export's entries. Every file is replaced
whole (a temporary file renamed over it)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flowaudit.errors import ExportOutputError, RunInProgressError

MANIFEST = "_manifest.json"
PARTITIONS_DIR = "_partitions"
FORMAT = "flowaudit-lake/1"
LAYOUT = "<view>/account=<label>/date=<YYYY-MM-DD>/part-0.parquet"
LOCK_WAIT_SECONDS = 300.0


def partitions_path(lake: Path, label: str) -> Path:
    return lake / PARTITIONS_DIR / f"account={label}.json"


def read_json(path: Path) -> dict[str, Any]:
    """A manifest file's content; {} when it does not exist yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportOutputError(
            f"cannot read {path}: {_reason(exc)}; move it away to export again"
        ) from None
    if not isinstance(data, dict):
        raise ExportOutputError(
            f"{path} is not a flowaudit lake manifest; move it away to export again"
        )
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace path whole with data (a reader sees the old file or the new one)."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise ExportOutputError(f"cannot write {path}: {_reason(exc)}") from None


def merge_account(lake: Path, label: str, entry: dict[str, Any], views: dict[str, Any]) -> Path:
    """Put one account's entry into `_manifest.json` (under the manifest's lock); return its path."""
    path = lake / MANIFEST
    with file_lock(lake / ".flowaudit-manifest.lock", f"the manifest of {lake}"):
        manifest = read_json(path)
        manifest.update(format=FORMAT, layout=LAYOUT, views=views)
        manifest.setdefault("accounts", {})[label] = entry
        manifest["updated_at"] = entry["exported_at"]
        write_json(path, manifest)
    return path


def view_hash(partitions: dict[str, dict[str, Any]]) -> str:
    """One sha256 over a view's partitions of an account (dates and file hashes, in order)."""
    digest = hashlib.sha256()
    for day in sorted(partitions):
        digest.update(f"{day}:{partitions[day]['sha256']}\n".encode())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def file_lock(path: Path, what: str, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold an exclusive lock on path (waiting up to wait_seconds for another export)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ExportOutputError(f"cannot create {path}: {_reason(exc)}") from None
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunInProgressError(
                        f"another flowaudit export holds {what} (waited {wait_seconds:g} s)"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).splitlines()[0] or exc.__class__.__name__
