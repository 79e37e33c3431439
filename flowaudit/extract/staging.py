"""The extract side of the staging area (docs/architecture.md, "extract -> load").

A fresh directory holding one NDJSON file per listing plus `audit.ndjson`,
`recycle_bin.ndjson`, `jobs.ndjson` and `flow_errors.ndjson`, every record as received
(re-serialized compact) once scrubbed (flowaudit.documents.scrub: captured payloads replaced
by markers, secret-looking values masked, never-stored fields dropped: nothing of them is
ever written), and `manifest.json`, written last and atomically: a staging area without a
manifest is an unfinished fetch and is never loaded. The loader takes these file names from
here."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

from flowaudit import jsonfast
from flowaudit.documents.scrub import Scrubber
from flowaudit.errors import ExitCode, FlowauditError
from flowaudit.registry import BY_LISTING, BY_PATH, LISTINGS

LISTING_KINDS = LISTINGS  # one file per listing of the resource registry
AUDIT_FILE = "audit.ndjson"
JOBS_FILE = "jobs.ndjson"  # flow jobs as /v1/jobs gave them, each once
# One line per flow whose open errors were read: {"_flowId", "numOpenError", "lastErrorAt",
# "flowErrors": [{"_expOrImpId", "numError"}]} (the listing's counts, the summary's steps).
FLOW_ERRORS_FILE = "flow_errors.ndjson"
# Entries of GET /v1/recycleBinTTL: {"model": "flows", "doc": {...}} (the last content of a
# resource deleted within 30 days; doc.lastModified is when it was deleted).
RECYCLE_BIN_FILE = "recycle_bin.ndjson"
MANIFEST_FILE = "manifest.json"


class StagingWriteError(FlowauditError):
    """The staging directory could not be written (disk full, permissions)."""

    exit_code = ExitCode.DATABASE


def listing_file(kind: str) -> str:
    return f"{kind}.ndjson"


class StagingArea:
    """NDJSON writers for one fetch; use as a context manager so every file is closed."""

    def __init__(self, directory: Path, scrubber: Scrubber | None = None):
        self.directory = Path(directory)
        self.scrubber = scrubber or Scrubber()
        self._files: dict[str, IO[bytes]] = {}

    def __enter__(self) -> StagingArea:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if (self.directory / MANIFEST_FILE).exists():
                raise StagingWriteError(
                    f"staging directory {self.directory} already holds a finished fetch"
                )
            for name in (*(listing_file(kind) for kind in LISTING_KINDS), AUDIT_FILE, RECYCLE_BIN_FILE, JOBS_FILE,
                         FLOW_ERRORS_FILE):  # fmt: skip
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
        """Append a page of one listing (kind: "flows", "exports", ...), scrubbed."""
        resource_type = BY_LISTING[kind].name
        self._append(listing_file(kind), records, lambda doc: self.scrubber.document(doc, resource_type))

    def write_audit(self, records: list[dict[str, Any]]) -> None:
        """Append a page of audit records, scrubbed."""
        self._append(AUDIT_FILE, records, self.scrubber.audit_record, first_look=False)

    def write_recycle_bin(self, entries: list[dict[str, Any]]) -> None:
        """Append a page of recycle bin entries, each document scrubbed as its type's."""
        self._append(RECYCLE_BIN_FILE, entries, self._scrub_bin_entry)

    def _scrub_bin_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        found = BY_PATH.get(str(entry.get("model"))) or BY_LISTING.get(str(entry.get("model")))
        doc = self.scrubber.document(entry.get("doc"), found.name if found else None)
        return entry if doc is entry.get("doc") else {**entry, "doc": doc}

    def write_jobs(self, records: list[dict[str, Any]]) -> None:
        """Append a page of jobs, scrubbed as any document (secret-looking values masked)."""
        self._append(JOBS_FILE, records, self.scrubber.document)

    def write_flow_errors(self, lines: list[dict[str, Any]]) -> None:
        """Append flows' open-error summaries (counts and ids; scrubbed all the same)."""
        self._append(FLOW_ERRORS_FILE, lines, self.scrubber.document)

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

    def _append(self, name: str, records: list[dict[str, Any]], scrub, *, first_look: bool = True) -> None:
        """Write records, each scrubbed; first_look: skip the walk of a document whose text
        holds nothing to scrub (an audit record is looked at field change by field change)."""
        if not records:
            return
        encode = jsonfast.dumps
        if first_look:
            texts = [encode(record) for record in records]
            # Most documents hold nothing to scrub: no walk for them.
            for index, may_hold in enumerate(self.scrubber.may_hold_many(texts)):
                if may_hold:
                    texts[index] = encode(scrub(records[index]))
        else:
            texts = [encode(scrub(record)) for record in records]
        lines = b"".join(text + b"\n" for text in texts)
        try:
            self._files[name].write(lines)
        except OSError as exc:
            raise _write_error(self.directory / name, exc) from None


def _write_error(path: Path, exc: OSError) -> StagingWriteError:
    reason = exc.strerror or exc.__class__.__name__
    return StagingWriteError(f"cannot write the staging area {path}: {reason}")
