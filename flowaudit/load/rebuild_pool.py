"""Rebuilding histories in worker processes: each resource's timeline is independent of the
others, and Python runs one thread at a time, so a large rebuild (a first load, a changed
hashing) is shared between processes.

The loading process streams the feed from DuckDB and hands each worker, when it asks for
work, the next chunk of whole resources as an Arrow IPC stream; a worker writes its rebuilt
rows to Arrow files of its own (flowaudit.load.history_rows) and returns their paths, its
counts and the flow steps it found. Workers are started when the load begins, so starting
them costs nothing while DuckDB stores the audit records. A worker that fails or dies fails
the load (its transaction is rolled back by the caller)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Iterable, Iterator
from contextlib import suppress
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

import flowaudit
from flowaudit.errors import DatabaseError
from flowaudit.load.history_rows import Checkpoints, HistoryFiles

# Below this many feed rows, starting processes costs more than it saves.
MIN_ROWS_FOR_WORKERS = 60_000
_TYPE, _ID = 1, 2  # feed columns (queries/load/history_feed.sql)


def worker_count() -> int:
    """Workers for a large rebuild: one per core the process may use, at most 4, at least 2."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(2, min(4, cores))


class RebuildPool:
    """Worker processes that rebuild the histories of the resources they are handed."""

    def __init__(self, work_dir: Path, setting: tuple[str, ...], processes: int | None = None):
        # A fresh interpreter per worker (not fork: DuckDB runs threads in this process; not
        # multiprocessing's spawn: it would import the caller's main script again).
        package_root = str(Path(flowaudit.__file__).resolve().parent.parent)
        env = {k: v for k, v in os.environ.items() if k != "FLOWAUDIT_TOKEN"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        self.connections: list[Connection] = []
        self.processes: list[subprocess.Popen] = []
        self._writers: list[Connection] = []
        try:
            for index in range(processes or worker_count()):
                tag = f"{os.getpid()}-{index}"
                process = subprocess.Popen(
                    [sys.executable, "-m", "flowaudit.load.rebuild_pool", str(work_dir), tag, *setting],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                )  # fmt: skip
                self.processes.append(process)
                self._writers.append(Connection(os.dup(process.stdin.fileno()), readable=False))
                self.connections.append(Connection(os.dup(process.stdout.fileno()), writable=False))
                process.stdin.close()
                process.stdout.close()
        except OSError as exc:
            self.close()
            raise RuntimeError(f"cannot start a history worker: {exc.strerror or exc}") from None

    def __enter__(self) -> RebuildPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self, batches: Iterable[pa.RecordBatch], checkpoints: Checkpoints
    ) -> list[dict[str, Any]]:
        """Rebuild every resource of the feed's batches; each worker's result (HistoryFiles.close)."""
        for writer in self._writers:
            _send(writer, pickle.dumps(checkpoints.rows))
        idle: list[int] = []
        for chunk in whole_resources(batches):
            if not idle:
                idle = self._ready()
            _send(self._writers[idle.pop()], _ipc_bytes(chunk))
        for writer in self._writers:
            _send(writer, b"")  # no more work
        results = []
        for connection in self.connections:
            message = self._receive(connection)
            while message is None:  # the "ready" it sent before learning there is no more work
                message = self._receive(connection)
            results.append(message)
        return results

    def _ready(self) -> list[int]:
        """The workers that asked for work (by index), waiting for one at least."""
        found = []
        for connection in wait(self.connections):
            if self._receive(connection) is not None:
                raise RuntimeError("a history worker answered out of turn")
            found.append(self.connections.index(connection))
        return found

    @staticmethod
    def _receive(connection: Connection) -> Any:
        try:
            message = pickle.loads(connection.recv_bytes())
        except (EOFError, OSError):
            raise RuntimeError("a history worker process ended unexpectedly") from None
        if isinstance(message, tuple) and message and message[0] == "failed":
            _kind, file_problem, detail = message
            if file_problem:  # the disk filled up, the work folder went away: not a bug
                raise DatabaseError(f"cannot rebuild the history: {detail}")
            raise RuntimeError(f"a history worker failed: {detail}")
        return message

    def close(self) -> None:
        for connection in [*self._writers, *self.connections]:
            connection.close()  # a worker still waiting for work reads the end and stops
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.connections, self._writers, self.processes = [], [], []


def whole_resources(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.Table]:
    """The feed cut into chunks that never split one resource's rows (the feed is ordered by
    resource, so the rows of the last resource of a batch may go on in the next)."""
    carried: list[pa.RecordBatch] = []
    for batch in batches:
        if batch.num_rows == 0:
            continue
        last_type, last_id = batch.column(_TYPE)[-1], batch.column(_ID)[-1]
        same = pc.and_(
            pc.equal(batch.column(_TYPE), last_type), pc.equal(batch.column(_ID), last_id)
        )
        cut = batch.num_rows - pc.sum(same).as_py()  # the last resource's rows end the batch
        if cut == 0:
            carried.append(batch)
            continue
        yield pa.Table.from_batches([*carried, batch.slice(0, cut)])
        carried = [batch.slice(cut)]
    if carried:
        yield pa.Table.from_batches(carried)


def _send(connection: Connection, data: bytes) -> None:
    """Hand a worker a message (it reads it when it is ready for it)."""
    try:
        connection.send_bytes(data)
    except OSError:  # its end of the pipe is closed: it failed or was killed
        raise RuntimeError("a history worker process ended unexpectedly") from None


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _work(
    reader: Connection, writer: Connection, work_dir: str, tag: str, setting: tuple[str, ...]
) -> None:
    """A worker: checkpoints first, then chunks until an empty one; then its result."""

    def send(message: Any) -> None:
        writer.send_bytes(pickle.dumps(message))

    try:
        from flowaudit.load.versions import Hashers

        hashers = Hashers(setting)
        checkpoints = Checkpoints(pickle.loads(reader.recv_bytes()))
        files = HistoryFiles(Path(work_dir), tag)
        while True:
            send(None)  # ready for work
            data = reader.recv_bytes()
            if not data:
                break
            files.rebuild(pa.ipc.open_stream(data).read_all().to_batches(), checkpoints, hashers)
        send(files.close())
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return  # the loading process went away or was interrupted: nothing to report to
    except BaseException as exc:  # reported to the loading process, which fails the load
        if isinstance(exc, OSError):
            detail = f"{exc.filename or work_dir}: {exc.strerror or exc.__class__.__name__}"
        else:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        with suppress(OSError, EOFError):
            send(("failed", isinstance(exc, OSError), detail))


if __name__ == "__main__":  # python -m flowaudit.load.rebuild_pool WORK_DIR TAG [VOLATILE...]
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the loading process's to handle
    _work(Connection(0, writable=False), Connection(1, readable=False), sys.argv[1], sys.argv[2],
          tuple(sys.argv[3:]))  # fmt: skip
