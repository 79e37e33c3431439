"""A year of an account's life, generated forward in time order from a seed: connections
and integrations first, then flows created (some cloned, some deleted later), edits spread
over the year, and the runs of the last day. Deterministic for a given seed and size."""

from __future__ import annotations

import random

from flowaudit.simulate import catalog, whole_account
from flowaudit.simulate.activity import Activity
from flowaudit.simulate.clock import DAY_MS, HOUR_MS
from flowaudit.simulate.options import SizeProfile

# Which kind of resource an edit lands on (people edit flows and mappings most).
EDIT_WEIGHTS = {"flows": 0.52, "imports": 0.25, "exports": 0.15, "connections": 0.04, "integrations": 0.04}
# Audit records a new flow brings on average (itself and its new steps), used to size the edits.
RECORDS_PER_FLOW_CREATE = 3.2
RECORDS_PER_FLOW_DELETE = 2.3

_CONNECTION, _INTEGRATION, _FLOW, _CLONE, _DELETE, _EDIT, _RUN, _EXTRA = range(8)


def generate_history(activity: Activity, profile: SizeProfile, start_ms: int, now_ms: int) -> None:
    """Fill activity's store with the history between start_ms and now_ms."""
    rng = activity.rng
    span = now_ms - start_ms
    events: list[tuple[int, int, int, object]] = []

    def at(ms: int, action: int, arg: object = None) -> None:
        events.append((ms, len(events), action, arg))

    for system in activity.systems:
        at(start_ms + int(rng.random() * DAY_MS), _CONNECTION, (system, False))
        if rng.random() < 0.3:
            at(start_ms + DAY_MS + int(rng.random() * DAY_MS), _CONNECTION, (system, True))
    for index in range(profile.integrations):
        late = rng.random() < 0.2
        offset = 2 * DAY_MS + int(rng.random() * (span * 0.6 if late else 28 * DAY_MS))
        at(start_ms + offset, _INTEGRATION, index)

    created = round(profile.flows / 0.88)
    deleted = created - profile.flows
    clones = round(created * 0.08)
    first_flow = start_ms + 3 * DAY_MS
    flow_span = now_ms - 2 * HOUR_MS - first_flow
    creates = []
    for index in range(created):
        ms = first_flow + int(flow_span * rng.random() ** 1.4)
        shape_roll = rng.random()
        if index < clones:
            action, shape = _CLONE, "clone"
        else:
            action = _FLOW
            shape = "router" if shape_roll < 0.13 else "legacy" if shape_roll < 0.21 else "standard"
            if shape == "legacy":  # legacy single-step flows are the old ones
                ms = first_flow + int(flow_span * 0.35 * rng.random())
        creates.append(ms)
        at(ms, action, (index, shape, rng.random() < 0.09))
    for index in rng.sample(range(created), deleted):
        born = creates[index]
        at(born + HOUR_MS + int(rng.random() * (now_ms - 2 * HOUR_MS - born - HOUR_MS)), _DELETE, index)

    edits = profile.audit_records - len(activity.systems) - profile.integrations
    edits -= round(created * RECORDS_PER_FLOW_CREATE + deleted * RECORDS_PER_FLOW_DELETE)
    kinds = rng.choices(list(EDIT_WEIGHTS), weights=list(EDIT_WEIGHTS.values()), k=max(0, edits))
    edit_start = start_ms + 3 * DAY_MS
    for kind in kinds:
        at(edit_start + int(rng.random() * (now_ms - HOUR_MS - edit_start)), _EDIT, kind)

    for _ in range(round(profile.flows * 0.4)):  # runs during the year
        at(first_flow + int(rng.random() * flow_span), _RUN)
    for _ in range(round(profile.flows * 1.3)):  # and the nightly runs before now
        at(now_ms - 26 * HOUR_MS + int(rng.random() * 25 * HOUR_MS), _RUN)

    # Scripts, users, tokens and the smaller collections (their own random draws).
    whole_account.plan_history(activity, profile, start_ms, now_ms, lambda ms, event: at(ms, _EXTRA, event))
    events.sort()
    flow_of_create: dict[int, str] = {}
    integration_names = _integration_names(profile.integrations)
    for ms, _seq, action, arg in events:
        _apply(activity, ms, action, arg, flow_of_create, integration_names)
    activity.store.audit.flush()


def _apply(activity: Activity, ms: int, action: int, arg, flow_of_create, integration_names) -> None:
    rng = activity.rng
    live = activity.live
    if action == _EXTRA:
        arg(activity, ms)
    elif action == _EDIT:
        rid = live[arg].choice(rng)
        if rid is not None:
            activity.edit(ms, arg, rid)
    elif action == _RUN:
        rid = live["flows"].choice(rng)
        if rid is not None:
            activity.run(ms, rid)
    elif action == _FLOW:
        index, shape, standalone = arg
        integration = None if standalone else live["integrations"].choice(rng)
        flow_of_create[index] = activity.add_flow(ms, shape, integration, "api" if rng.random() < 0.15 else "ui")
    elif action == _CLONE:
        index = arg[0]
        original = live["flows"].choice(rng)
        if original is None:
            flow_of_create[index] = activity.add_flow(ms, "standard", live["integrations"].choice(rng))
        else:
            flow_of_create[index] = activity.clone(ms, original)
    elif action == _DELETE:
        flow_id = flow_of_create.get(arg)
        if flow_id is not None and flow_id in live["flows"]:
            activity.delete_flow(ms, flow_id, "api" if rng.random() < 0.2 else "ui")
    elif action == _CONNECTION:
        system, sandbox = arg
        activity.add_connection(ms, system, sandbox)
    elif action == _INTEGRATION:
        systems = rng.sample(activity.systems, min(len(activity.systems), rng.choice((2, 2, 3))))
        activity.add_integration(ms, integration_names[arg], systems)


def _integration_names(count: int) -> list[str]:
    names = list(catalog.INTEGRATION_NAMES)
    regions = ("EMEA", "APAC", "Nordics", "LATAM", "Québec", "DACH", "UK", "US")
    round_ = 0
    while len(names) < count:
        region = regions[round_ % len(regions)]
        if round_ >= len(regions):
            region += f" {round_ // len(regions) + 1}"
        names.extend(f"{name} ({region})" for name in catalog.INTEGRATION_NAMES)
        round_ += 1
    return names[:count]


def new_rng(seed: int, size: str, purpose: str) -> random.Random:
    # str seeds hash with sha512: the same on every machine and Python run.
    return random.Random(f"flowaudit-simulator:{seed}:{size}:{purpose}")


