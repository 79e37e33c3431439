"""Draw docs/overview.png, the README's picture of the overview: the demo's first screen at
1280x800 in headless Chromium (Debian's `chromium`, driven by Playwright).

    .venv/bin/python docs/screenshot.py [OUT.png]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 800}


def demo_index(folder: Path) -> Path:
    """Run `flowaudit demo` into folder (without the caller's FLOWAUDIT_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWAUDIT_")}
    done = subprocess.run(
        [sys.executable, "-m", "flowaudit", "demo", "--out", str(folder), "--quiet"],
        capture_output=True, text=True, env=env, cwd=folder.parent, check=True,
    )  # fmt: skip
    return Path(done.stdout.strip())


def screenshot(index: Path, target: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("screenshot: error: chromium is not installed (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(index.as_uri())
        page.screenshot(path=str(target))
        browser.close()


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "overview.png"
    with tempfile.TemporaryDirectory() as tmp:
        screenshot(demo_index(Path(tmp) / "demo"), target)
    print(target)


if __name__ == "__main__":
    main()
