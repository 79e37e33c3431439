"""Every queries/examples/*.sql against a database extracted from the simulator, with the
answers computed independently in Python from the simulator's own audit records and state.
Also: flows_as_of equals the simulator's state at several dates."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flowaudit.assets import queries_dir
from flowaudit.config import DEFAULT_VOLATILE_FIELDS, resolve_settings
from flowaudit.pipeline import run_extract
from flowaudit.registry import BY_NAME
from flowaudit.simulate import SimulatedAccount
from flowaudit.sqlshell import answer_query, open_readonly

EXAMPLES = queries_dir() / "examples"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> tuple[SimulatedAccount, Path]:
    account = SimulatedAccount.generate(size="small", seed=3, token="demo")
    db = tmp_path_factory.mktemp("examples") / "flowaudit.duckdb"
    settings = resolve_settings({"db": str(db)}, environ={"FLOWAUDIT_TOKEN": "demo"})
    run_extract(settings, transport=account.async_transport())
    return account, db


def _run_example(db: Path, name: str, **params: str) -> list[dict]:
    sql = (EXAMPLES / f"{name}.sql").read_text(encoding="utf-8")
    out = io.BytesIO()
    answer_query(db, sql, params, fmt="jsonl", stdout=out)
    return [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]


def _time(record: dict) -> datetime:
    return datetime.fromisoformat(record["time"].replace("Z", "+00:00"))


def _records_in_last(account: SimulatedAccount, days: int) -> list[dict]:
    # The examples anchor their period [start, end) at the last run's observation: the
    # simulator's now.
    ends = account.now.astimezone(UTC)
    starts = ends - timedelta(days=days)
    return [r for r in account.audit_records() if starts <= _time(r) < ends]


def _person(record: dict) -> str:
    user = record.get("byUser") or {}
    return user.get("name") or user.get("email") or user.get("_id")


def test_every_example_is_covered_here():
    tested = {
        "who_changed_what_last_week",
        "flows_disabled_recently",
        "changes_outside_business_hours",
        "changes_through_the_api",
        "flows_that_change_most",
        "settings_toggled_back_and_forth",
        "what_a_person_changed",
        "flow_on_a_date",
    }
    assert {p.stem for p in EXAMPLES.glob("*.sql")} == tested


def test_who_changed_what_last_week(simulated):
    account, db = simulated
    rows = _run_example(db, "who_changed_what_last_week")
    expected = _records_in_last(account, 7)
    assert expected, "the simulator made no change in the last week: the test would prove nothing"
    assert {r["event_id"]: (r["person"], r["source"], r["event"]) for r in rows} == {
        r["_id"]: (_person(r), r["source"], r["event"]) for r in expected
    }
    fields = {
        r["_id"]: sorted({c["fieldPath"] for c in r.get("fieldChanges") or []}) for r in expected
    }
    assert {r["event_id"]: r["fields"] for r in rows} == fields
    assert [r["time"] for r in rows] == sorted((r["time"] for r in rows), reverse=True)


def test_who_changed_what_takes_the_number_of_days(simulated):
    account, db = simulated
    rows = _run_example(db, "who_changed_what_last_week", days="2")
    assert {r["event_id"] for r in rows} == {r["_id"] for r in _records_in_last(account, 2)}


def test_flows_disabled_recently(simulated):
    account, db = simulated
    rows = _run_example(db, "flows_disabled_recently")
    expected = {
        r["_id"]: (r["_resourceId"], _person(r))
        for r in _records_in_last(account, 30)
        if r["resourceType"] == "flow"
        and any(
            c.get("fieldPath") == "disabled" and c.get("newValue") is True
            for c in r.get("fieldChanges") or []
        )
    }
    assert expected
    assert {r["event_id"]: (r["flow_id"], r["disabled_by"]) for r in rows} == expected
    current = {doc["_id"]: bool(doc.get("disabled")) for doc in account.resources("flows")}
    for row in rows:
        assert row["still_disabled"] == current.get(row["flow_id"])


def test_changes_outside_business_hours(simulated):
    account, db = simulated
    zone = ZoneInfo("Europe/Berlin")
    rows = _run_example(
        db,
        "changes_outside_business_hours",
        timezone="Europe/Berlin",
        day_starts="9",
        day_ends="17",
    )
    expected = set()
    for record in _records_in_last(account, 30):
        local = _time(record).astimezone(zone)
        if local.isoweekday() >= 6 or local.hour < 9 or local.hour >= 17:
            expected.add(record["_id"])
    assert expected
    assert {r["event_id"] for r in rows} == expected
    assert all(
        r["why"] == ("weekend" if r["weekday"] in {"Saturday", "Sunday"} else "outside hours")
        for r in rows
    )


def test_changes_through_the_api(simulated):
    account, db = simulated
    rows = _run_example(db, "changes_through_the_api")
    expected = {r["_id"]: _person(r) for r in _records_in_last(account, 30) if r["source"] == "api"}
    assert expected
    assert {r["event_id"]: r["person"] for r in rows} == expected


def test_flows_that_change_most_counts_each_flows_own_changes(simulated):
    account, db = simulated
    rows = _run_example(db, "flows_that_change_most", days="90", top="100000")
    own = Counter(
        r["_resourceId"] for r in _records_in_last(account, 90) if r["resourceType"] == "flow"
    )
    assert own
    assert {r["flow_id"]: r["flow_changes"] for r in rows if r["flow_changes"]} == dict(own)
    assert all(r["changes"] == r["flow_changes"] + r["step_changes"] for r in rows)
    top = _run_example(db, "flows_that_change_most", days="90", top="3")
    assert top == rows[:3]
    assert [r["changes"] for r in rows] == sorted((r["changes"] for r in rows), reverse=True)


def test_settings_toggled_back_and_forth(simulated):
    account, db = simulated
    rows = _run_example(db, "settings_toggled_back_and_forth", days="120")
    history: dict[tuple, list] = {}
    for record in sorted(_records_in_last(account, 120), key=lambda r: (r["time"], r["_id"])):
        for change in record.get("fieldChanges") or []:
            key = (record["resourceType"], record["_resourceId"], change.get("fieldPath"))
            history.setdefault(key, []).append(change)
    missing = object()
    expected = {}
    for key, changes in history.items():
        reversals = sum(
            1
            for before, after in pairwise(changes)
            # Reversed: the new value is what the previous change replaced (absent = absent).
            if after.get("newValue", missing) == before.get("oldValue", missing)
        )
        if reversals:
            expected[key] = (reversals, len(changes))
    assert expected, "no toggles in the simulated history: the test would prove nothing"
    assert {
        (r["resource_type"], r["resource_id"], r["field_path"]): (r["reversals"], r["changes"])
        for r in rows
    } == expected


def test_what_a_person_changed(simulated):
    account, db = simulated
    recent = _records_in_last(account, 60)
    someone = Counter(r["byUser"]["email"] for r in recent if r.get("byUser")).most_common(1)[0][0]
    mine = [r for r in recent if (r.get("byUser") or {}).get("email") == someone]
    rows = _run_example(db, "what_a_person_changed", person=someone.upper(), days="60")
    assert mine
    assert len(rows) == sum(max(1, len(r.get("fieldChanges") or [])) for r in mine)
    assert {r["event_id"] for r in rows} == {r["_id"] for r in mine}


def _comparable(doc: dict) -> dict:
    # A flow's own volatile fields too (numOpenError, lastErrorAt: the listing asks for them).
    volatile = {*DEFAULT_VOLATILE_FIELDS, *BY_NAME["flow"].volatile_fields}
    return {k: v for k, v in doc.items() if k not in volatile}


def _moments(account: SimulatedAccount) -> list[datetime]:
    now = account.now.astimezone(UTC)
    return [now - timedelta(days=days, hours=5) for days in (1, 10, 45, 120)]


def test_flow_on_a_date_matches_the_simulators_history(simulated):
    account, db = simulated
    moment = _moments(account)[2]
    state = account.state_at(moment)["flows"]
    flow_id, doc = sorted(state.items())[0]
    rows = _run_example(db, "flow_on_a_date", flow=flow_id, at=moment.isoformat())
    assert len(rows) == 1
    assert rows[0]["name"] == doc.get("name")
    assert _comparable(rows[0]["doc"]) == _comparable(doc)
    by_name = _run_example(db, "flow_on_a_date", flow=doc["name"], at=moment.isoformat())
    assert flow_id in {r["flow_id"] for r in by_name}


def test_flows_as_of_equals_the_simulators_state_at_several_dates(simulated):
    account, db = simulated
    origins = set()
    for moment in _moments(account):
        state = account.state_at(moment)["flows"]
        assert state
        with open_readonly(db) as connection:
            rows = connection.execute(
                "SELECT flow_id, origin, doc FROM flows_as_of(CAST($at AS TIMESTAMPTZ))",
                {"at": moment.isoformat()},
            ).fetchall()
        actual = {flow_id: (origin, _comparable(json.loads(doc))) for flow_id, origin, doc in rows}
        # Flows deleted before flowaudit's first run are there too, rebuilt from their records.
        assert set(actual) == set(state), f"flows existing at {moment}"
        origins.update(origin for origin, _ in actual.values())
        differing = [fid for fid in state if not _agrees(*actual[fid], _comparable(state[fid]))]
        assert not differing, f"{len(differing)} flows differ at {moment}, e.g. {differing[:3]}"
    assert "audit" in origins, "no flow deleted before the first run was alive then: proves nothing"


def _agrees(origin: str, ours: dict, truth: dict) -> bool:
    # A flow flowaudit never observed holds only what its audit records tell.
    return all(truth.get(k) == v for k, v in ours.items()) if origin == "audit" else ours == truth
