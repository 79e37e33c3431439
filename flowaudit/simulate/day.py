"""`advance()`: a plausible stretch of working time after `now`: UI and API edits, schedule
changes, disables, new, deleted and cloned flows, mapping edits (all audited), flows
running (volatile, not audited), and optionally silent changes that no audit record explains."""

from __future__ import annotations

from flowaudit.simulate import whole_account
from flowaudit.simulate.activity import Activity
from flowaudit.simulate.clock import HOUR_MS, MINUTE_MS, iso
from flowaudit.simulate.options import SizeProfile

# Per simulated day, for a small account; scaled by the account's size.
EDITS_PER_DAY = 12
STRUCTURAL_PER_DAY = 1  # new, cloned and deleted flows each
# The edits every day starts with, so that each kind of change is seen even in a small account.
OPENING_EDITS = (
    ("flows", "schedule", "ui"),
    ("flows", "disabled", "api"),
    ("imports", "mapping.fields", "ui"),
    ("exports", "query", "api"),
)


def advance_day(
    activity: Activity, profile: SizeProfile, start_ms: int, hours: float, silent_changes: int
) -> dict:
    """Make the changes of `hours` after start_ms; returns a summary of what happened."""
    rng = activity.rng
    store = activity.store
    activity.resync()
    end_ms = start_ms + int(hours * HOUR_MS)
    # Changes happen after a quiet minute and before the new `now`, so every new audit record
    # sorts after the existing ones and before anything the API writes at the new `now`.
    first_ms, last_ms = start_ms + MINUTE_MS, max(start_ms + MINUTE_MS + 1, end_ms - MINUTE_MS)
    scale = max(1.0, profile.flows / 40) * hours / 24
    structural = max(1, round(STRUCTURAL_PER_DAY * scale)) if hours >= 12 else int(rng.random() < hours / 24)
    edits = max(len(OPENING_EDITS) if hours >= 12 else 1, round(EDITS_PER_DAY * scale))

    def when() -> int:
        return first_ms + int(rng.random() * (last_ms - first_ms))

    plan: list[tuple[int, int, str, object]] = []
    for index in range(edits):
        plan.append((when(), len(plan), "edit", OPENING_EDITS[index] if index < len(OPENING_EDITS) else None))
    for action in ("create", "clone", "delete"):
        for _ in range(structural):
            plan.append((when(), len(plan), action, None))
    for _ in range(silent_changes):
        plan.append((when(), len(plan), "silent", None))
    for flow_id in list(activity.live["flows"].items):
        flow = store.current["flows"][flow_id]
        if flow.get("schedule") and not flow.get("disabled"):
            plan.append((when(), len(plan), "run", flow_id))
    whole_account.plan_day(activity, profile, first_ms, last_ms, hours,
                           lambda ms, event: plan.append((ms, len(plan), "extra", event)))  # fmt: skip
    plan.sort()

    records_before = len(store.audit.rows)
    summary: dict = {"from": iso(start_ms), "to": iso(end_ms), "created": [], "cloned": [], "deleted": [],
                     "edited": 0, "runs": 0, "silent_changes": 0}  # fmt: skip
    for ms, _seq, action, arg in plan:
        if action == "extra":
            arg(activity, ms)
        elif action == "edit":
            kind, what, source = arg if arg else (_edit_kind(rng), None, None)
            rid = activity.live[kind].choice(rng)
            if rid is not None and activity.edit(ms, kind, rid, what=what, source=source):
                summary["edited"] += 1
        elif action == "silent":
            for _attempt in range(5):  # an edit can land on the value already there
                kind = rng.choice(("flows", "flows", "imports", "exports"))
                rid = activity.live[kind].choice(rng)
                if rid is not None and activity.edit(ms, kind, rid, audited=False):
                    summary["silent_changes"] += 1
                    break
        elif action == "run":
            summary["runs"] += activity.run(ms, arg)
        elif action == "create":
            integration = activity.live["integrations"].choice(rng)
            shape = rng.choice(("standard", "standard", "router"))
            summary["created"].append(activity.add_flow(ms, shape, integration, rng.choice(("ui", "api"))))
        elif action == "clone":
            original = activity.live["flows"].choice(rng)
            if original is not None:
                summary["cloned"].append(activity.clone(ms, original))
        elif action == "delete":
            victim = activity.live["flows"].choice(rng)
            if victim is not None:
                summary["deleted"].append(activity.delete_flow(ms, victim)[0])
    store.audit.flush()
    summary["audit_records"] = len(store.audit.rows) - records_before
    return summary


def _edit_kind(rng) -> str:
    return rng.choices(("flows", "imports", "exports", "connections", "integrations"), (52, 25, 15, 4, 4))[0]
