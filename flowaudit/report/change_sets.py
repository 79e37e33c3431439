"""Audit records that belong together, shown as one change set: a flow created together with
its exports and imports (a clone copies the steps and then the flow, each its own create
record), made by the same person through the same source within SET_WINDOW.

One save that touches several fields is already one audit record (its `fieldChanges` list,
docs/decisions.md "Change sets"), so it needs no grouping here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

SET_WINDOW = timedelta(seconds=60)  # a clone's records are written within one request
_STEP_TYPES = ("export", "import")


def change_sets(events: Sequence[Sequence[Any]]) -> dict[str, str]:
    """Which records join another's change set: member event id -> the flow create record's
    event id. `events` are change_table.SHOWN_COLUMNS rows (event_id, time ISO text,
    resource_type, resource_id, ..., flow_ids, ..., source, event, user_name, user_email, ...).

    A step's create record joins the create record of a flow it is attributed to (its
    flow_ids) when both were made by the same person (name and e-mail) through the same
    source, at most SET_WINDOW apart; the nearest in time when several qualify."""
    flows: dict[str, list[tuple[datetime, str, tuple]]] = {}
    for row in events:
        if row[9] == "create" and row[2] == "flow":
            flows.setdefault(row[3], []).append((_when(row[1]), row[0], _who(row)))
    members: dict[str, str] = {}
    for row in events:
        if row[9] != "create" or row[2] not in _STEP_TYPES:
            continue
        when, who = _when(row[1]), _who(row)
        near = [
            (abs(made - when), leader)
            for flow_id in row[5] or ()
            for made, leader, by in flows.get(flow_id, ())
            if by == who and abs(made - when) <= SET_WINDOW
        ]
        if near:
            members[row[0]] = min(near)[1]
    return members


def _who(row: Sequence[Any]) -> tuple:
    return row[10], row[11], row[8]  # user name, e-mail, source


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
