"""`flowaudit sql --output PATH` writes as a shell redirection would: a new file follows the
umask, an existing file keeps its mode (and its inode when it has other names), devices,
FIFOs and symlinks are written through and never replaced; a regular file still appears
only whole.

The device and /dev/stdout cases use private equivalents (a node with /dev/null's numbers,
a symlink to /proc/self/fd/1) so that a regression could never replace the machine's own."""

from __future__ import annotations

import io
import os
import pty
import stat
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from flowaudit.errors import ExitCode
from flowaudit.sqlshell import open_destination
from tests.sqlshell.conftest import flowaudit_env, run_flowaudit

QUERY = "SELECT id, label FROM samples WHERE id IN (2, 3) ORDER BY id"
ANSWER = 'id,label\n2,""\n3,東京 ✓\n'


def _sql_to(db: Path, target: Path | str, *extra: str, umask: int = -1, fmt: str = "csv"):
    return run_flowaudit(
        "sql", "--db", str(db), "--format", fmt, "-o", str(target), *extra, QUERY, umask=umask
    )


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.iterdir() if ".partial" in p.name or p.name.startswith(".")
    )


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
@pytest.mark.parametrize("fmt", ["csv", "table", "parquet"])
def test_a_new_file_follows_the_umask(fixture_db, tmp_path: Path, umask, mode, fmt):
    target = tmp_path / "out" / f"answer.{fmt}"
    target.parent.mkdir()
    done = _sql_to(fixture_db, target, umask=umask, fmt=fmt)
    assert done.returncode == ExitCode.OK, done.stderr
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert _leftovers(target.parent) == []


def test_an_existing_file_keeps_its_mode_and_gets_the_whole_answer(fixture_db, tmp_path: Path):
    target = tmp_path / "answer.csv"
    target.write_text("old\n")
    target.chmod(0o604)
    done = _sql_to(fixture_db, target, umask=0o077)
    assert done.returncode == ExitCode.OK, done.stderr
    assert target.read_text() == ANSWER
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


def test_a_file_with_another_name_keeps_its_inode(fixture_db, tmp_path: Path):
    target = tmp_path / "answer.csv"
    target.write_text("old\n")
    other = tmp_path / "other-name.csv"
    other.hardlink_to(target)
    inode = target.stat().st_ino
    assert _sql_to(fixture_db, target).returncode == ExitCode.OK
    assert target.stat().st_ino == inode
    assert other.read_text() == ANSWER
    assert _leftovers(tmp_path) == []


def test_a_symlink_to_a_file_stays_a_symlink_and_its_file_gets_the_answer(
    fixture_db, tmp_path: Path
):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert _sql_to(fixture_db, link).returncode == ExitCode.OK
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == ANSWER
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_dangling_symlink_gets_its_file_created(fixture_db, tmp_path: Path):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "made.csv")
    assert _sql_to(fixture_db, link).returncode == ExitCode.OK
    assert link.is_symlink() and (tmp_path / "made.csv").read_text() == ANSWER


def test_a_failing_query_leaves_a_symlinked_file_as_it_was(fixture_db, tmp_path: Path):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    done = run_flowaudit(
        "sql", "--db", str(fixture_db), "-o", str(link), "SELECT nope FROM samples"
    )
    assert (done.returncode, done.stdout) == (ExitCode.QUERY, "")
    assert link.is_symlink() and real.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_a_fifo_is_written_through_and_stays_a_fifo(fixture_db, tmp_path: Path):
    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = _sql_to(fixture_db, fifo)
    reader.join(30)
    assert done.returncode == ExitCode.OK, done.stderr
    assert received == [ANSWER.encode("utf-8")]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.skipif(not hasattr(os, "mknod"), reason="no mknod")
@pytest.mark.parametrize("fmt", ["csv", "table", "parquet"])
def test_a_device_is_written_through_and_stays_a_device(fixture_db, tmp_path: Path, fmt):
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the numbers of /dev/null
    except PermissionError:
        pytest.skip("creating a device node needs root")
    link = tmp_path / "null-link"
    link.symlink_to(null)
    for target in (null, link):
        done = _sql_to(fixture_db, target, fmt=fmt)
        assert done.returncode == ExitCode.OK, done.stderr
    assert stat.S_ISCHR(null.lstat().st_mode) and link.is_symlink()
    assert _leftovers(tmp_path) == []


def test_dev_stdout_is_written_through_to_stdout(fixture_db, tmp_path: Path):
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    done = _sql_to(fixture_db, stdout_link)
    assert (done.returncode, done.stdout) == (ExitCode.OK, ANSWER)
    assert stdout_link.is_symlink()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (".", "is a directory"),
        ("missing/answer.csv", "does not exist"),
        ("fixture.duckdb", "the database being read"),
    ],
)
def test_an_output_that_cannot_be_the_answer_is_a_usage_error(fixture_db, target, message):
    before = fixture_db.read_bytes()
    done = _sql_to(fixture_db, fixture_db.parent / target)
    assert (done.returncode, done.stdout) == (ExitCode.USAGE, "")
    assert message in done.stderr and len(done.stderr.splitlines()) == 1
    assert fixture_db.read_bytes() == before
    connection = duckdb.connect(str(fixture_db), read_only=True)
    assert connection.execute("SELECT count(*) FROM samples").fetchall() == [(4,)]
    connection.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any folder")
def test_a_writable_file_in_a_read_only_folder_is_written_in_place(fixture_db, tmp_path: Path):
    folder = tmp_path / "locked"
    folder.mkdir()
    target = folder / "answer.csv"
    target.write_text("old\n")
    folder.chmod(0o555)
    try:
        assert _sql_to(fixture_db, target).returncode == ExitCode.OK
        assert target.read_text() == ANSWER
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_a_file_of_another_owner_keeps_its_owner_and_inode(fixture_db, tmp_path: Path):
    target = tmp_path / "answer.csv"
    target.write_text("old\n")
    os.chown(target, 65534, 65534)
    inode = target.stat().st_ino
    assert _sql_to(fixture_db, target).returncode == ExitCode.OK
    assert (target.stat().st_uid, target.stat().st_ino) == (65534, inode)
    assert target.read_text() == ANSWER


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_a_file_without_write_permission_is_refused_as_the_shell_would(fixture_db, tmp_path: Path):
    target = tmp_path / "answer.csv"
    target.write_text("old\n")
    target.chmod(0o444)
    done = _sql_to(fixture_db, target)
    assert (done.returncode, done.stdout) == (ExitCode.USAGE, "")
    assert "permission denied" in done.stderr
    assert target.read_text() == "old\n"


@pytest.mark.parametrize(("mode", "before"), [("wb", ""), ("ab", "earlier lines\n")])
def test_stdout_redirected_to_a_file_gets_the_answer_where_the_shell_put_it(
    fixture_db, tmp_path: Path, mode, before
):
    # `> file` and `>> file`: the answer goes where stdout's own offset is, after what is there.
    target = tmp_path / "answers.csv"
    target.write_text("earlier lines\n")
    with open(target, mode) as sink:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "flowaudit",
                "sql",
                "--db",
                str(fixture_db),
                "--format",
                "csv",
                QUERY,
            ],
            stdout=sink,
            stderr=subprocess.PIPE,
            env=flowaudit_env(),
            timeout=60,
        )
    assert (done.returncode, done.stderr) == (ExitCode.OK, b"")
    assert target.read_text() == before + ANSWER


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_what_the_shell_writes_after_the_answer_comes_after_it(fixture_db, tmp_path: Path, fmt):
    # `(flowaudit sql ...; echo done) > f 2>&1`: stdout's offset ends after the answer, also
    # when DuckDB wrote the answer through a handle of its own.
    target = tmp_path / "log.txt"
    flowaudit = f"'{sys.executable}' -m flowaudit sql --db '{fixture_db}' --format {fmt}"
    script = f"({flowaudit} \"{QUERY}\"; echo done; {flowaudit} 'SELECT nope'; echo end) > '{target}' 2>&1"
    done = subprocess.run(["bash", "-c", script], env=flowaudit_env(), timeout=60)
    assert done.returncode == 0
    answer = ANSWER if fmt == "csv" else "id | label\n---+-------\n 2 |\n 3 | 東京 ✓\n"
    lines = target.read_text().splitlines(keepends=True)
    assert "".join(lines[: answer.count("\n")]) == answer
    assert lines[answer.count("\n")] == "done\n"
    assert lines[answer.count("\n") + 1].startswith("flowaudit: error: Binder Error:")
    assert lines[-1] == "end\n"


def _kind_of_destination_for(stream) -> str:
    with open_destination(None, stream) as destination:
        return type(destination).__name__


def test_duckdb_writes_itself_only_into_what_a_shell_redirection_could_reopen(tmp_path: Path):
    read_end, write_end = os.pipe()
    leader, follower = pty.openpty()
    try:
        with open(write_end, "wb", closefd=False) as pipe:
            assert _kind_of_destination_for(pipe) == "DirectDestination"
        with open(tmp_path / "new.csv", "wb") as fresh:
            assert _kind_of_destination_for(fresh) == "DirectDestination"
        (tmp_path / "old.csv").write_text("kept\n")
        with open(tmp_path / "old.csv", "ab") as appending:
            assert _kind_of_destination_for(appending) == "StreamDestination"
        with open(follower, "wb", closefd=False) as terminal:
            assert _kind_of_destination_for(terminal) == "StreamDestination"
        assert _kind_of_destination_for(io.BytesIO()) == "StreamDestination"
    finally:
        for descriptor in (read_end, write_end, leader, follower):
            os.close(descriptor)


def test_a_database_that_cannot_be_opened_leaves_no_file_behind(tmp_path: Path):
    folder = tmp_path / "out"
    folder.mkdir()
    done = _sql_to(tmp_path / "absent.duckdb", folder / "answer.csv")
    assert (done.returncode, done.stdout) == (ExitCode.DATABASE, "")
    assert list(folder.iterdir()) == []
