"""The extract side of the staging area (docs/architecture.md, "extract -> load").

A fresh directory holding one NDJSON file per listing plus `audit.ndjson`, `jobs.ndjson`
and `flow_errors.ndjson`, every record exactly as received (re-serialized compact), and
`manifest.json`, written last and atomically: a staging area without a manifest is an
unfinished fetch and is never loaded. The loader takes these file names from here."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

from flowaudit import jsonfast
from flowaudit.errors import ExitCode, FlowauditError
from flowaudit.registry import LISTINGS

LISTING_KINDS = LISTINGS  # one file per listing of the resource registry
AUDIT_FILE = "audit.ndjson"
JOBS_FILE = "jobs.ndjson"  # flow jobs as /v1/jobs gave them, each once
# One line per flow whose open errors were read: {"_flowId", "numOpenError", "lastErrorAt",
# "flowErrors": [{"_expOrImpId", "numError"}]} (the listing's counts, the summary's steps).
FLOW_ERRORS_FILE = "flow_errors.ndjson"
MANIFEST_FILE = "manifest.json"


class StagingWriteError(FlowauditError):
    """The staging directory could not be written (disk full, permissions)."""

    exit_code = ExitCode.DATABASE


def listing_file(kind: str) -> str:
    return f"{kind}.ndjson"


class StagingArea:
    """NDJSON writers for one fetch; use as a context manager so every file is closed."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._files: dict[str, IO[bytes]] = {}

    def __enter__(self) -> StagingArea:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if (self.directory / MANIFEST_FILE).exists():
                raise StagingWriteError(
                    f"staging directory {self.directory} already holds a finished fetch"
                )
            for name in (*(listing_file(kind) for kind in LISTING_KINDS), AUDIT_FILE, JOBS_FILE, FLOW_ERRORS_FILE):
                self._files[name] = open(self.directory / name, "wb")  # closed in close()
        except OSError as exc:
            with contextlib.suppress(StagingWriteError):
                self.close()
            raise _write_error(self.directory, exc) from None
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            self.close()
        except StagingWriteError:
            if exc is None:
                raise
            # The fetch already failed (often for the same full disk): keep its error.

    def close(self) -> None:
        """Close every file; closing flushes, so a full disk can fail here too."""
        failure: OSError | None = None
        for name, handle in self._files.items():
            try:
                handle.close()
            except OSError as exc:
                failure = failure or exc
                failed = name
        self._files.clear()
        if failure is not None:
            raise _write_error(self.directory / failed, failure)

    def write_listing(self, kind: str, records: list[dict[str, Any]]) -> None:
        """Append a page of one listing (kind: "flows", "exports", ...)."""
        self._append(listing_file(kind), records)

    def write_audit(self, records: list[dict[str, Any]]) -> None:
        """Append a page of audit records."""
        self._append(AUDIT_FILE, records)

    def write_jobs(self, records: list[dict[str, Any]]) -> None:
        """Append a page of jobs."""
        self._append(JOBS_FILE, records)

    def write_flow_errors(self, lines: list[dict[str, Any]]) -> None:
        """Append flows' open-error summaries."""
        self._append(FLOW_ERRORS_FILE, lines)

    def write_manifest(self, manifest: dict[str, Any]) -> Path:
        """Flush every data file, then write manifest.json atomically (the fetch is done)."""
        path = self.directory / MANIFEST_FILE
        temporary = path.with_suffix(".json.tmp")
        try:
            for handle in self._files.values():
                handle.flush()
                os.fsync(handle.fileno())
            temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            os.replace(temporary, path)
        except OSError as exc:
            raise _write_error(path, exc) from None
        return path

    def _append(self, name: str, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        encode = jsonfast.dumps
        lines = b"".join([encode(record) + b"\n" for record in records])
        try:
            self._files[name].write(lines)
        except OSError as exc:
            raise _write_error(self.directory / name, exc) from None


def _write_error(path: Path, exc: OSError) -> StagingWriteError:
    reason = exc.strerror or exc.__class__.__name__
    return StagingWriteError(f"cannot write the staging area {path}: {reason}")
