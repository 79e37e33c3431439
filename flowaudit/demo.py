"""`flowaudit demo`: the whole nightly job on an embedded simulated account.

It builds the simulator's `small` account a few days in the past, extracts it, then lets a
few simulated days go by with a run and a report after each, so the reports have history,
drift, a change no audit record explains, and a mapping change that made a flow fail for
a day. Everything stays in one demo folder."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from flowaudit.config import Settings
from flowaudit.errors import UsageError
from flowaudit.load.db import connect
from flowaudit.logs import get_logger
from flowaudit.pipeline import RunResult, run_extract
from flowaudit.secrets import Secret
from flowaudit.simulate import SimulatedAccount, SimulatorOptions

log = get_logger(__name__)

MARKER = ".flowaudit-demo"
HOSTILE_NAME = '<script>alert("flowaudit")</script> Orders → NetSuite'


def run_demo(
    out: Path,
    *,
    days: int = 3,
    seed: int = 1,
    settings: Settings | None = None,
    on_run=None,
) -> Path:
    """Run the demo into folder `out`; return the path of the latest index page."""
    if days < 1:
        raise UsageError("--days must be at least 1")
    db, reports = _prepare_folder(out)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    account = SimulatedAccount.generate("small", seed=seed, options=SimulatorOptions(now=start))
    settings = replace(
        settings or Settings(),
        db=db,
        out=reports,
        api_url=account.base_url,
        token=Secret(account.token),
        rate=100_000.0,  # in-process: no account to share
    )

    index = _night(account, settings, on_run)
    _pin_first_night_as_approved(settings)
    for day in range(1, days + 1):
        if day == 1:
            _name_a_flow_with_markup(account)
            _break_the_busiest_flow(account)
        # The last day also makes one change that no audit record explains.
        account.advance(hours=24, silent_changes=1 if day == days else 0)
        index = _night(account, settings, on_run)
    latest = reports / "latest" / "index.html"
    return latest if latest.exists() else index


def _prepare_folder(out: Path) -> tuple[Path, Path]:
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(
            f"{out} exists and was not made by `flowaudit demo`; choose another --out folder"
        )
    db = out / "demo.duckdb"
    for leftover in (db, db.with_name(db.name + ".wal"), *out.glob(".flowaudit-run-*.lock")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(out / "reports", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by flowaudit demo; safe to delete\n", encoding="utf-8")
    return db, out / "reports"


def _night(account: SimulatedAccount, settings: Settings, on_run) -> Path:
    from flowaudit.report.render import render_reports

    result: RunResult = run_extract(settings, transport=account.async_transport())
    if on_run is not None:
        on_run(result)
    now = account.now.astimezone(UTC)
    return render_reports(settings.db, settings.out, settings, now=now)


def _pin_first_night_as_approved(settings: Settings) -> None:
    from flowaudit.report.baselines import pin_baseline

    con = connect(settings.db)
    try:
        pin_baseline(con, settings.account, "approved")
    finally:
        con.close()


def _break_the_busiest_flow(account: SimulatedAccount) -> None:
    """Someone edits the mapping of the busiest flow's import; its runs fail for 20 hours."""
    from flowaudit.simulate.breaking import busiest_flow

    with account.lock:
        flow_id = busiest_flow(account)
    account.make_breaking_change(flow_id, hours=20, error_share=0.85)


def _name_a_flow_with_markup(account: SimulatedAccount) -> None:
    """Someone renames a flow with markup in it through the API: reports must show it as text."""
    flow = next(f for f in account.resources("flows") if f.get("_integrationId"))
    with httpx.Client(
        transport=account.transport(),
        base_url=account.base_url,
        headers={"Authorization": f"Bearer {account.token}"},
    ) as client:
        answer = client.put(f"flows/{flow['_id']}", json={**flow, "name": HOSTILE_NAME})
        answer.raise_for_status()
