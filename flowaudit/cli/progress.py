"""Progress of an extract: a live line on a terminal, sparse plain log lines otherwise
(cron mails stay short and readable)."""

from __future__ import annotations

import shutil
import sys
import time
from collections import Counter

from flowaudit.logs import get_logger

log = get_logger(__name__)


class ProgressReporter:
    """Receives fetch events, ("listing", kind, n) or ("audit", n), and shows them
    suitably for stderr."""

    def __init__(self, *, quiet: bool = False, interval: float = 30.0):
        self.interactive = sys.stderr.isatty() and not quiet
        self.quiet = quiet
        self.interval = interval
        self.totals: Counter[str] = Counter()
        self._last_line = 0.0

    def __call__(self, event: tuple) -> None:
        if len(event) == 3:
            key, count = str(event[1]), event[2]
        else:
            key, count = str(event[0]), event[-1]
        self.totals[key] += int(count)
        now = time.monotonic()
        if self.interactive:
            parts = ", ".join(f"{k} {v}" for k, v in sorted(self.totals.items()))
            width = shutil.get_terminal_size().columns - 1
            sys.stderr.write("\r\x1b[2K" + f"fetching: {parts}"[:width])
            sys.stderr.flush()
        elif not self.quiet and now - self._last_line >= self.interval:
            self._last_line = now
            log.info("progress: %s", ", ".join(f"{k} {v}" for k, v in sorted(self.totals.items())))

    def close(self) -> None:
        if self.interactive:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
