"""A change made on purpose to break a flow (tests and demos): the known breaking change
among the account's many harmless ones, so that flowaudit's `change_impact` can be checked
against the ground truth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowaudit.errors import UsageError
from flowaudit.simulate.docpath import get_path
from flowaudit.simulate.jobs import Breakage
from flowaudit.simulate.store import flow_step_ids

if TYPE_CHECKING:
    from flowaudit.simulate.account import SimulatedAccount


def break_flow(
    account: SimulatedAccount, flow_id: str, *, hours: float, error_share: float
) -> Breakage:
    """Edit the mapping of the flow's last import at the simulated now, through the UI, so
    that every flow using that import errs at error_share for hours."""
    store = account.store
    flow = store.get("flows", flow_id)
    if flow is None:
        raise UsageError(f"no flow {flow_id} in the simulated account")
    imports = flow_step_ids(flow)[1]
    if not imports:
        raise UsageError(f"flow {flow_id} has no import whose mapping could break it")
    if not 0 < hours <= 24 * 366 or not 0 < error_share <= 1:
        raise UsageError("a breaking change needs 0 < hours <= a year and 0 < error_share <= 1")
    import_id = imports[-1]
    mapped = get_path(store.current["imports"][import_id], "mapping.fields")
    fields = list(mapped) if isinstance(mapped, list) else []
    fields.append({"extract": "customer.legacyCode", "generate": "externalId"})
    before = len(account.jobs.breakages)
    account.jobs.force_next_breakage(hours, error_share)
    user = 1 % len(store.users)
    store.update("imports", import_id, [("mapping.fields", fields)], account.now_ms, user, "ui")
    store.audit.flush()
    assert len(account.jobs.breakages) == before + 1, (
        "the mapping change did not register as breaking"
    )
    return account.jobs.breakages[-1]


def busiest_flow(account: SimulatedAccount, *, exclude: tuple[str, ...] = ()) -> str:
    """The enabled flow with an import that runs most often on the simulated day (ties: the
    smallest id): the one whose breakage shows best."""
    from flowaudit.simulate.clock import DAY_MS
    from flowaudit.simulate.jobs import run_state
    from flowaudit.simulate.schedule import utc_minutes

    day = account.now_ms // DAY_MS
    best: tuple[int, str] | None = None
    for flow_id in account.store.sorted_ids["flows"]:
        state = run_state(account.store.current["flows"][flow_id])
        if (
            state is None
            or flow_id in exclude
            or not flow_step_ids(account.store.current["flows"][flow_id])[1]
        ):
            continue
        runs = len(utc_minutes(state.schedules, state.zone, day))
        if best is None or runs > best[0]:
            best = (runs, flow_id)
    if best is None:
        raise UsageError("the simulated account has no scheduled, enabled flow with an import")
    return best[1]
