"""Where `flowaudit sql` writes its answer: stdout, or --output PATH as a shell redirection would.

- A regular file (also through a symlink, which stays) is written all-or-nothing: the answer
  goes to a temporary file beside it that replaces the file only once the whole answer is
  written. An existing file keeps its mode (and, when it has other hard links or another
  owner, its inode: the finished answer is copied into it); a new file gets 0666 less the
  umask, as `>` gives.
- Anything else (stdout, /dev/null and other devices, a FIFO, /dev/stdout or /dev/fd/N) is
  opened as the shell opens it and written as the rows come: a reader sees the first rows
  while the query still runs, and a query failing half-way leaves the rows before it.

DuckDB writes csv, json, jsonl and parquet itself: into the temporary file; straight into
a pipe, FIFO, device or new empty file it can open through /dev/fd; or else (a terminal,
an appending file, a socket, an in-memory stream) into a pipe whose other end a thread
copies to it. `duckdb_path` is that one path, the only one
the read-only session may write; `stream` takes what Python writes (the table format)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import shutil
import stat
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO

from flowaudit.errors import UsageError

_CHUNK = 1 << 20
_FD_LINK_PREFIXES = ("/proc/", "/dev/fd/")


class Destination:
    """Where one answer goes. Use as a context manager; call `finish()` once all is written
    (leaving the block by an exception discards what was not delivered)."""

    duckdb_path: str

    @property
    def stream(self) -> BinaryIO:
        raise NotImplementedError

    @property
    def reader_gone(self) -> bool:
        """True once the reader of a pipe has gone away (`| head`)."""
        return False

    def finish(self) -> None:
        """Deliver the whole answer (flush, or put the file in place)."""
        raise NotImplementedError

    def discard(self) -> None:
        """Give up: nothing half-written is put in place."""
        raise NotImplementedError

    def __enter__(self) -> Destination:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:  # on success the caller has called finish()
            self.discard()


def open_destination(
    output: Path | None, stdout: BinaryIO, *, database: Path | None = None
) -> Destination:
    """The destination for --output `output`, or stdout when None."""
    if output is None:
        if _duckdb_can_open(stdout):
            return DirectDestination(stdout)
        return StreamDestination(stdout, name="stdout")
    path = Path(os.path.abspath(output))
    if _through_fd_link(path) or _is_special(path):
        try:
            handle = open(path, "wb")  # noqa: SIM115  (the destination owns and closes it)
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
        if _duckdb_can_open(handle):
            return DirectDestination(handle, owned=True)
        return StreamDestination(handle, name=str(output), owned=True)
    target = Path(os.path.realpath(path))  # a symlink stays; the file it names is written
    if target.is_dir():
        raise UsageError(f"cannot write {output}: it is a directory")
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {output}: directory {target.parent} does not exist")
    if database is not None and _same_file(target, database):
        raise UsageError(f"cannot write {output}: it is the database being read")
    return FileDestination(target, name=str(output))


class StreamDestination(Destination):
    """A stream written as the answer comes: DuckDB writes into a pipe a thread copies from."""

    def __init__(self, stream: BinaryIO, *, name: str, owned: bool = False):
        self._stream, self._name, self._owned = stream, name, owned
        self._read_end, self._write_end = os.pipe()
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(self._write_end, fcntl.F_SETPIPE_SZ, _CHUNK)  # fewer, larger copies
        self.duckdb_path = _fd_path(self._write_end)
        self._gone = False
        self._done = False
        self._failure: OSError | None = None
        self._pump = threading.Thread(target=self._copy, name="flowaudit-sql-output", daemon=True)
        self._pump.start()

    @property
    def stream(self) -> BinaryIO:
        return self._stream

    @property
    def reader_gone(self) -> bool:
        return self._gone

    def _copy(self) -> None:
        try:
            if not self._splice_all():
                while chunk := os.read(self._read_end, _CHUNK):
                    self._stream.write(chunk)
                    self._stream.flush()  # the reader sees rows as they come
        except BrokenPipeError:
            self._gone = True
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                self._gone = True
            else:
                self._failure = exc
        finally:
            # Closing our end makes DuckDB's next write fail at once instead of blocking.
            os.close(self._read_end)

    def _splice_all(self) -> bool:
        """Move the pipe's bytes to a real file descriptor in the kernel; False if it cannot."""
        try:
            target = self._stream.fileno()
        except (OSError, ValueError, AttributeError):
            return False  # an in-memory stream
        if not hasattr(os, "splice"):
            return False  # not Linux
        self._stream.flush()
        while True:
            try:
                moved = os.splice(self._read_end, target, _CHUNK)
            except OSError as exc:
                # EINVAL: this file takes no splice (opened for appending, some devices); the
                # failing call moved nothing, so plain copying carries on from there.
                if exc.errno in (errno.EINVAL, errno.ENOSYS):
                    return False
                raise
            if moved == 0:
                return True

    def _close_pipe(self, timeout: float | None) -> None:
        if self._done:
            return
        self._done = True
        os.close(self._write_end)
        self._pump.join(timeout)

    def finish(self) -> None:
        self._close_pipe(None)
        if self._failure is not None:
            raise UsageError(
                f"cannot write {self._name}: {self._failure.strerror or self._failure}"
            )
        if self._gone:
            raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")
        self._stream.flush()
        if self._owned:
            self._stream.close()

    def discard(self) -> None:
        self._close_pipe(5.0)  # a stuck reader must not hold up the error message
        if self._owned:
            with contextlib.suppress(OSError):
                self._stream.close()


class DirectDestination(Destination):
    """A stream DuckDB opens and writes itself through /dev/fd, with no copy in between: a
    pipe, a FIFO, a device other than a terminal, or a new empty file (`> out.csv`).

    DuckDB writes a regular file through a handle of its own, so stdout's shared offset is
    moved past the answer afterwards: what the shell writes next (`(flowaudit sql ...; echo
    done) > f`) comes after it."""

    def __init__(self, stream: BinaryIO, *, owned: bool = False):
        self._stream, self._owned = stream, owned
        self._descriptor = stream.fileno()
        self._regular = stat.S_ISREG(os.fstat(self._descriptor).st_mode)
        self.duckdb_path = _fd_path(self._descriptor)

    @property
    def stream(self) -> BinaryIO:
        return self._stream

    @property
    def reader_gone(self) -> bool:
        # The write end of a pipe or FIFO whose readers all left polls as an error.
        poller = select.poll()
        poller.register(self._descriptor, select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))

    def finish(self) -> None:
        self._stream.flush()
        if self._regular:
            os.lseek(self._descriptor, 0, os.SEEK_END)
        if self._owned:
            self._stream.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()
            if self._regular:
                os.lseek(self._descriptor, 0, os.SEEK_END)  # an error message goes after the rows
        if self._owned:
            with contextlib.suppress(OSError):
                self._stream.close()


class FileDestination(Destination):
    """A regular file, replaced all-or-nothing by a temporary file written beside it."""

    def __init__(self, target: Path, *, name: str):
        self._target, self._name = target, name
        self._handle: BinaryIO | None = None
        self._finished = False
        existing = _stat_or_none(target)
        if existing is not None and not os.access(target, os.W_OK):
            raise UsageError(f"cannot write {name}: permission denied")  # as `>` would refuse
        mode = stat.S_IMODE(existing.st_mode) if existing else None
        # Renaming would give the file a new inode: not when others share it or another owns it.
        self._copy_into = bool(existing) and (
            existing.st_nlink > 1 or existing.st_uid != os.geteuid()
        )
        try:
            self._temporary = self._create_temporary(target.parent, mode)
        except PermissionError:
            if existing is None or not os.access(target, os.W_OK):
                raise UsageError(f"cannot write {name}: permission denied") from None
            # The file is writable but its folder is not: finish by copying into the file.
            self._copy_into = True
            self._temporary = self._create_temporary(Path(tempfile.gettempdir()), None)
        except OSError as exc:
            raise UsageError(f"cannot write {name}: {exc.strerror or exc}") from None
        self.duckdb_path = str(self._temporary)

    @staticmethod
    def _create_temporary(directory: Path, mode: int | None) -> Path:
        for _ in range(100):
            candidate = directory / f".flowaudit-sql-{os.urandom(6).hex()}.partial"
            try:
                # 0666 less the umask, as the shell creates files; then the old file's mode.
                handle = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            try:
                if mode is not None:
                    os.fchmod(handle, mode)
            finally:
                os.close(handle)
            return candidate
        raise FileExistsError(errno.EEXIST, "no free temporary name")

    @property
    def stream(self) -> BinaryIO:
        if self._handle is None:
            self._handle = open(self._temporary, "wb")  # noqa: SIM115  (closed in finish/discard)
        return self._handle

    def finish(self) -> None:
        try:
            if self._handle is not None:
                self._handle.close()
            if self._copy_into:
                with open(self._temporary, "rb") as source, open(self._target, "r+b") as sink:
                    sink.truncate(0)
                    shutil.copyfileobj(source, sink, _CHUNK)
                os.unlink(self._temporary)
            else:
                os.replace(self._temporary, self._target)
        except OSError as exc:
            raise UsageError(f"cannot write {self._name}: {exc.strerror or exc}") from None
        self._finished = True

    def discard(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
        if not self._finished:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._temporary)


def _duckdb_can_open(stream: BinaryIO) -> bool:
    """True when DuckDB can write the stream's file itself through /dev/fd, as `>` would."""
    try:
        descriptor = stream.fileno()
        found = os.fstat(descriptor)
        # DuckDB reopens it by name: that must be allowed too (not only the open handle).
        if not os.access(f"/proc/self/fd/{descriptor}", os.W_OK):
            return False
        if stat.S_ISFIFO(found.st_mode):
            return True
        if stat.S_ISCHR(found.st_mode):
            # Not a terminal: a query may read the paths it may write, and what a person types
            # is not for it (a terminal's output is small anyway).
            return not os.isatty(descriptor)
        # A regular file only when new and empty: reopening truncates it and writes from 0.
        return (
            stat.S_ISREG(found.st_mode)
            and found.st_size == 0
            and os.lseek(descriptor, 0, os.SEEK_CUR) == 0
            and not fcntl.fcntl(descriptor, fcntl.F_GETFL) & os.O_APPEND
        )
    except (OSError, ValueError, AttributeError):
        return False  # an in-memory stream, a socket, no /proc


def _fd_path(descriptor: int) -> str:
    """A path that opens the same pipe (Linux and macOS have /dev/fd; /proc is the fallback)."""
    for path in (f"/dev/fd/{descriptor}", f"/proc/self/fd/{descriptor}"):
        if os.path.exists(path):
            return path
    raise UsageError("cannot stream the answer: neither /dev/fd nor /proc is available")


def _through_fd_link(path: Path) -> bool:
    """True for /dev/stdout, /dev/fd/N, /proc/self/fd/N and links to them: an open file, not a name."""
    current = str(path)
    for _ in range(40):
        if current.startswith(_FD_LINK_PREFIXES):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return False


def _is_special(path: Path) -> bool:
    """True for an existing device, FIFO or socket (followed through symlinks)."""
    found = _stat_or_none(path)
    return found is not None and not stat.S_ISREG(found.st_mode) and not stat.S_ISDIR(found.st_mode)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _same_file(path: Path, other: Path) -> bool:
    here, there = _stat_or_none(path), _stat_or_none(other)
    return bool(here and there) and (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
