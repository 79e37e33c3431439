"""Did a change break a flow? Against the simulator with one known breaking change among
many harmless ones (the simulator's own breakages switched off), change_impact's first row
is that change, no harmless change comes above it, and the overview's list holds it alone.

Seed 7 is a hard case on purpose: a harmless change is made to the broken flow three hours
after the breaking one, while it fails, and its own window happens to fail a little more."""

from __future__ import annotations

from pathlib import Path

from flowaudit.simulate import SimulatedAccount, SimulatorOptions
from flowaudit.simulate.breaking import busiest_flow
from tests.pipeline.helpers import extract, query


def test_the_known_breaking_change_is_the_first_row_of_change_impact(tmp_path: Path):
    account = SimulatedAccount.generate(
        "small", seed=7, options=SimulatorOptions(breaking_share=0.0)
    )
    db = tmp_path / "a.duckdb"
    extract(db, account)
    account.advance(hours=24)  # a day of harmless changes
    extract(db, account)
    flow_id = busiest_flow(account)
    truth = account.make_breaking_change(flow_id, hours=36, error_share=0.8)
    account.advance(hours=24)  # more harmless changes while the flow fails
    extract(db, account)
    assert account.breakages == [truth]

    rows = query(db, "SELECT event_id, flow_id, rise_at_least, follows_event_id, runs_before, runs_after "
                     "FROM change_impact")  # fmt: skip
    assert rows[0][:2] == (truth["event_id"], flow_id)
    harmless = [r for r in rows[1:] if r[4] and r[5]]
    assert len({r[0] for r in harmless}) >= 40, (
        "too few harmless changes with runs to prove anything"
    )
    # The harmless change made while the flow failed rose at least as much, and is below it.
    follower = [r for r in harmless if r[1] == flow_id and r[3] == truth["event_id"]]
    assert follower and follower[0][2] >= rows[0][2]
    assert all(r[2] < rows[0][2] for r in harmless if r[1] != flow_id)

    listed = query(db, "SELECT event_id, flow_id FROM changes_followed_by_failures")
    assert listed == [(truth["event_id"], flow_id)]
