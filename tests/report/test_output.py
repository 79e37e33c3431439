"""The report folder: every page is on disk, whole, when the folder is put in place (and in
`latest`), and a page that cannot be written fails the rendering with one ReportOutputError
and leaves no folder behind."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flowaudit.errors import ReportOutputError
from flowaudit.report.output import ReportFolder

NOW = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def test_every_page_is_on_disk_whole_when_the_folder_is_put_in_place(tmp_path: Path):
    pages = {f"flows/{n:04d}.html": f"<p>page {n} · ünïcode {'x' * n}</p>" for n in range(160)}
    with ReportFolder(tmp_path, NOW) as folder:
        for relative, text in pages.items():
            folder.write(relative, text, part_only=relative.endswith("7.html"))
        target = folder.finish()
    assert target == tmp_path / "2026-11-02"
    assert {
        str(p.relative_to(target)): p.read_text(encoding="utf-8") for p in target.rglob("*.html")
    } == pages
    latest = tmp_path / "latest"
    assert sorted(p.name for p in (latest / "flows").iterdir()) == sorted(
        Path(r).name for r in pages
    )
    assert folder.written == len(pages) and folder.partly == len(pages) // 10


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_page_that_cannot_be_written_fails_the_rendering_and_leaves_nothing(tmp_path: Path):
    out = tmp_path / "out"
    with (
        pytest.raises(
            ReportOutputError, match=r"^cannot write reports to .*No space left on device"
        ),
        ReportFolder(out, NOW) as folder,
    ):
        folder.write("index.html", "<p>first</p>")
        (folder.staging / "flows").mkdir(parents=True)
        (folder.staging / "flows" / "full.html").symlink_to("/dev/full")  # a disk that is full
        folder.write("flows/full.html", "<p>" + "x" * 100_000 + "</p>")
        folder.finish()
    assert sorted(p.name for p in out.iterdir()) == []  # no dated folder, no staging, no latest
