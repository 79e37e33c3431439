"""Change requests: an approvals CSV links audit events to tickets, and each change is then
approved, self-approved, approved after the change (overdue after emergency_review_hours)
or without a ticket (`change_approvals`). A file with bad rows is refused whole, each bad
row named by its line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flowaudit.errors import ExitCode
from tests.audit_trail.cli import run_cli
from tests.pipeline.helpers import query

HEADER = (
    "ticket,approver,approved_at,resource_id,flow_id,integration_id,window_from,window_to,summary\n"
)


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _row(
    ticket, approver, approved_at, *, resource="", flow="", integration="", start, end, summary="x"
) -> str:
    return f"{ticket},{approver},{_z(approved_at)},{resource},{flow},{integration},{_z(start)},{_z(end)},{summary}\n"


def _changes(db: Path) -> list[tuple]:
    """Changes by people, each the only change of its resource in the minute around it."""
    return query(
        db,
        "SELECT event_id, time, resource_type, resource_id, user_email, flow_id, integration_id FROM audit_events AS e "
        "WHERE source = 'ui' AND event = 'update' AND flow_id IS NOT NULL AND integration_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM audit_events AS o WHERE o.resource_id = e.resource_id "
        "AND o.event_id <> e.event_id AND abs(epoch(o.time) - epoch(e.time)) < 120) "
        "ORDER BY time DESC LIMIT 6",
    )


def test_an_approvals_file_gives_each_of_the_four_states(db: Path, tmp_path: Path, capsys):
    approved, self_approved, emergency, overdue, by_flow, untouched = _changes(db)
    minute = timedelta(minutes=1)

    def window(change):
        return {"start": change[1] - minute, "end": change[1] + minute}

    csv_file = tmp_path / "tickets.csv"
    csv_file.write_text(
        HEADER
        + _row("CHG-1", "boss@example.com", approved[1] - timedelta(days=1), resource=approved[3], **window(approved))
        + _row("CHG-2", self_approved[4].upper(), self_approved[1] - timedelta(hours=1), resource=self_approved[3],
               **window(self_approved))
        + _row("CHG-3", "boss@example.com", emergency[1] + timedelta(hours=5), resource=emergency[3], **window(emergency))
        + _row("CHG-4", "boss@example.com", overdue[1] + timedelta(hours=100), resource=overdue[3], **window(overdue))
        + _row("CHG-5", "boss@example.com", by_flow[1] - timedelta(hours=1), flow=by_flow[5], **window(by_flow))
        + _row("CHG-6", "boss@example.com", by_flow[1] - timedelta(hours=2), integration=by_flow[6], **window(by_flow)),
        encoding="utf-8",
    )  # fmt: skip
    outcome = run_cli(capsys, "approvals", "import", str(csv_file), "--db", str(db))
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.startswith("imported 6 row(s) of 6 ticket(s) into account default")
    state = dict(
        (event_id, row)
        for event_id, *row in query(
            db, "SELECT event_id, state, ticket, overdue, tickets FROM change_approvals"
        )
    )
    assert state[approved[0]][:2] == ["approved", "CHG-1"]
    assert state[self_approved[0]][:2] == ["self-approved", "CHG-2"]
    assert state[emergency[0]][:3] == ["approved after the change", "CHG-3", False]
    assert state[overdue[0]][:3] == ["approved after the change", "CHG-4", True]
    assert state[by_flow[0]][0] == "approved" and state[by_flow[0]][3] == ["CHG-5", "CHG-6"]
    assert state[untouched[0]][:2] == ["no ticket", None]
    assert {row[0] for row in state.values()} == {
        "approved",
        "self-approved",
        "approved after the change",
        "no ticket",
    }
    violations = dict(
        query(
            db,
            "SELECT event_id, rule FROM rule_violations WHERE rule IN ('self_approved', 'review_overdue')",
        )
    )
    assert violations == {self_approved[0]: "self_approved", overdue[0]: "review_overdue"}
    due = query(
        db, "SELECT review_due_at - time FROM change_approvals WHERE event_id = ?", [overdue[0]]
    )[0][0]
    assert due == timedelta(hours=72)


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(db: Path, tmp_path: Path, capsys):
    change = _changes(db)[0]
    good = _row(
        "CHG-1",
        "boss@example.com",
        change[1],
        resource=change[3],
        start=change[1],
        end=change[1] + timedelta(hours=1),
    )
    csv_file = tmp_path / "tickets.csv"
    csv_file.write_text(
        HEADER + good
        + "CHG-2,boss@example.com,yesterday,r1,,,2026-01-01,2026-01-02,x\n"
        + good
        + "CHG-3,boss@example.com,2026-01-01,r1,f1,,2026-01-01,2026-01-02,x\n"
        + "CHG-4,,2026-01-01,r1,,,2026-01-02,2026-01-01,x\n",
        encoding="utf-8",
    )  # fmt: skip
    outcome = run_cli(capsys, "approvals", "import", str(csv_file), "--db", str(db))
    assert outcome.code == ExitCode.INPUT_FILE
    lines = outcome.stderr.strip().splitlines()
    assert lines[:3] == [
        f"flowaudit: {csv_file} line 3: approved_at 'yesterday' is not a date or time (e.g. 2026-03-01T14:00Z)",
        f"flowaudit: {csv_file} line 5: give exactly one of resource_id, flow_id, integration_id",
        f"flowaudit: {csv_file} line 6: approver is empty",
    ]
    assert (
        lines[-1]
        == f"flowaudit: error: {csv_file}: 3 bad row(s) (the first: line 3: approved_at 'yesterday' is not a date or time (e.g. 2026-03-01T14:00Z)); nothing was imported"
    )
    assert query(db, "SELECT count(*) FROM store.approvals") == [(0,)]


def test_a_file_without_the_needed_columns_is_refused(db: Path, tmp_path: Path, capsys):
    csv_file = tmp_path / "tickets.csv"
    csv_file.write_text("ticket,approved_at\nCHG-1,2026-01-01\n", encoding="utf-8")
    outcome = run_cli(capsys, "approvals", "import", str(csv_file), "--db", str(db))
    assert outcome.code == ExitCode.INPUT_FILE
    assert (
        "line 1: the header lacks approver, window_from, window_to, resource_id, flow_id or integration_id"
        in outcome.stderr
    )


def test_importing_a_ticket_again_replaces_its_rows(db: Path, tmp_path: Path, capsys):
    change = _changes(db)[0]
    span = {"start": change[1] - timedelta(hours=1), "end": change[1] + timedelta(hours=1)}
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(HEADER + _row("CHG-1", "ann@example.com", change[1], resource=change[3], **span)
                     + _row("CHG-1", "ann@example.com", change[1], resource="other", **span), encoding="utf-8")  # fmt: skip
    second.write_text(
        HEADER + _row("CHG-1", "bob@example.com", change[1], resource=change[3], **span),
        encoding="utf-8",
    )
    run_cli(capsys, "approvals", "import", str(first), "--db", str(db))
    outcome = run_cli(capsys, "approvals", "import", str(second), "--db", str(db))
    assert "(1 ticket(s) replaced their earlier rows)" in outcome.stdout
    assert query(db, "SELECT ticket, approver, file_name, line FROM store.approvals") == [
        ("CHG-1", "bob@example.com", "second.csv", 2)
    ]
