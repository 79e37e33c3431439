"""Jobs and open errors in the store, loaded in the run's one transaction: each job once,
a newer reading replacing an unfinished one, nothing deleted when the API forgets; the jobs
watermark moved by complete readings only; open errors stored when they change; and the
views over them (flow_health_daily, change_impact) checked on small literal histories."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from flowaudit.errors import ApiContractError
from flowaudit.load.jobs import jobs_plan

from .staging import audit_record, flow, job, oid, resource

T0 = datetime(2026, 3, 10, tzinfo=UTC)
LATE = datetime(2030, 1, 1, tzinfo=UTC)  # the local clock, far enough not to distrust anything


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hourly(
    flow_id: str, start: datetime, hours: int, *, failing=lambda moment: False
) -> list[dict]:
    return [
        job(f"j{flow_id[-8:]}-{int((start + timedelta(hours=n)).timestamp())}", flow_id, at(start + timedelta(hours=n)),
            errors=3 if failing(start + timedelta(hours=n)) else 0)
        for n in range(hours)
    ]  # fmt: skip


def test_a_job_is_stored_once_and_a_later_reading_replaces_an_unfinished_one(load):
    flow_id = oid("f")
    running = job("j1", flow_id, at(T0 - timedelta(minutes=5)), status="running")
    counts = load(observed_at=at(T0), flows=[flow(flow_id, "F")], jobs=[running, running])
    assert (counts["new_jobs"], counts["updated_jobs"]) == (1, 0)
    ended = job("j1", flow_id, at(T0 - timedelta(minutes=5)), status="completed", errors=2,
                ended=at(T0 + timedelta(minutes=3)))  # fmt: skip
    counts = load(observed_at=at(T0 + timedelta(hours=1)), flows=[flow(flow_id, "F")], jobs=[ended],
                  jobs_from=at(T0 - timedelta(hours=6)))  # fmt: skip
    assert (counts["new_jobs"], counts["updated_jobs"]) == (0, 1)
    assert load.rows(
        "SELECT job_id, status, num_error, ended, had_errors, first_run_id, last_run_id FROM jobs"
    ) == [("j1", "completed", 2, True, True, 1, 2)]
    assert json.loads(load.rows("SELECT doc FROM jobs")[0][0])["endedAt"] == at(
        T0 + timedelta(minutes=3)
    )


def test_jobs_the_api_no_longer_returns_are_kept_for_ever(load):
    flow_id = oid("f")
    load(
        observed_at=at(T0),
        flows=[flow(flow_id, "F")],
        jobs=hourly(flow_id, T0 - timedelta(hours=5), 5),
    )
    load(observed_at=at(T0 + timedelta(days=40)), flows=[flow(flow_id, "F")], jobs=[],
         jobs_from=at(T0 + timedelta(days=39)))  # fmt: skip
    assert load.rows("SELECT count(*) FROM jobs") == [(5,)]


def test_the_jobs_watermark_moves_with_complete_readings_only(load):
    flow_id = oid("f")
    load(observed_at=at(T0), flows=[flow(flow_id, "F")], jobs=[])
    plan = jobs_plan(load.con, "default", overlap=timedelta(hours=6), latest_trusted=LATE)
    assert plan.since == T0 - timedelta(hours=6)
    load(observed_at=at(T0 + timedelta(days=1)), flows=[flow(flow_id, "F")], jobs=[],
         jobs_from=at(T0 - timedelta(hours=6)), jobs_gaps=("more than 1001 jobs share createdAt …",))  # fmt: skip
    assert (
        jobs_plan(load.con, "default", overlap=timedelta(hours=6), latest_trusted=LATE).since
        == plan.since
    )
    assert load.rows("SELECT run_id, complete, jobs_read FROM job_reads ORDER BY run_id") == [
        (1, True, 0),
        (2, False, 0),
    ]
    assert (
        jobs_plan(
            load.con, "default", overlap=timedelta(hours=6), latest_trusted=LATE, full=True
        ).since
        is None
    )


def test_a_job_still_running_at_the_last_reading_pulls_the_next_one_back_to_it(load):
    flow_id = oid("f")
    long_ago = T0 - timedelta(hours=20)
    load(observed_at=at(T0), flows=[flow(flow_id, "F")],
         jobs=[job("j-long", flow_id, at(long_ago), status="running")])  # fmt: skip
    plan = jobs_plan(load.con, "default", overlap=timedelta(hours=6), latest_trusted=LATE)
    assert plan.since == long_ago
    assert plan.jobs_per_hour == pytest.approx(1 / 24)


def test_a_watermark_later_than_the_clock_allows_is_not_trusted(load):
    flow_id = oid("f")
    load(
        observed_at=at(T0),
        flows=[flow(flow_id, "F")],
        jobs=hourly(flow_id, T0 - timedelta(hours=3), 3),
    )
    plan = jobs_plan(
        load.con, "default", overlap=timedelta(hours=6), latest_trusted=T0 - timedelta(days=1)
    )
    assert plan.distrusted == T0
    assert plan.since == T0 - timedelta(hours=1) - timedelta(hours=6)  # the newest stored job's


def test_open_errors_are_stored_when_they_change_and_a_cleared_flow_says_so(load):
    flow_id, step = oid("f"), oid("i")
    summary = {"_flowId": flow_id, "numOpenError": 4, "lastErrorAt": at(T0),
               "flowErrors": [{"_expOrImpId": step, "numError": 4}, {"_expOrImpId": oid("e"), "numError": 0}]}  # fmt: skip
    listings = {"flows": [flow(flow_id, "F")], "imports": [resource(step, "Post orders")]}
    load(observed_at=at(T0), jobs=[], flow_errors=[summary], **listings)
    load(
        observed_at=at(T0 + timedelta(days=1)),
        jobs=[],
        flow_errors=[summary],
        jobs_from=at(T0),
        **listings,
    )
    cleared = {"_flowId": flow_id, "numOpenError": 0, "lastErrorAt": at(T0), "flowErrors": []}
    load(
        observed_at=at(T0 + timedelta(days=2)),
        jobs=[],
        flow_errors=[cleared],
        jobs_from=at(T0),
        **listings,
    )
    rows = load.rows("SELECT run_id, step_id, step_name, num_error, flow_open_errors, is_current FROM open_errors "
                     "ORDER BY run_id")  # fmt: skip
    assert rows == [(1, step, "Post orders", 4, 4, False), (3, None, None, 0, 0, True)]
    plan = jobs_plan(load.con, "default", overlap=timedelta(hours=6), latest_trusted=LATE)
    assert plan.known_errors == {flow_id: (0, "2026-03-10T00:00:00Z")}


def test_a_bad_jobs_file_fails_the_whole_load_and_keeps_nothing_of_it(load):
    flow_id = oid("f")
    with pytest.raises(ApiContractError, match="without an _id or a readable createdAt"):
        load(observed_at=at(T0), flows=[flow(flow_id, "F")],
             audit=[audit_record("flow", flow_id, at(T0 - timedelta(hours=1)), "create")],
             jobs=[job("j1", flow_id, "not a time")])  # fmt: skip
    assert load.rows("SELECT count(*) FROM store.audit_records") == [(0,)]
    assert load.rows("SELECT count(*) FROM store.jobs") == [(0,)]
    assert load.rows("SELECT status FROM store.runs") == [
        ("running",)
    ]  # the pipeline marks it failed


def test_flow_health_daily_counts_each_days_runs_errors_and_failures(load):
    flow_id = oid("f")
    day = T0 - timedelta(days=1)
    jobs = hourly(flow_id, day, 24, failing=lambda m: m.hour in (3, 4))
    jobs[10]["status"] = "failed"
    jobs[11]["status"] = "canceled"
    jobs.append(job("j-running", flow_id, at(T0 - timedelta(seconds=30)), status="running"))
    load(observed_at=at(T0), flows=[flow(flow_id, "Nightly orders")], jobs=jobs)
    rows = load.rows("SELECT flow_name, day, runs, ended_runs, failed_runs, runs_with_errors, successes, errors, "
                     "error_rate FROM flow_health_daily ORDER BY day")  # fmt: skip
    # 25 runs (one still running, one canceled: neither counts in the rate), 3 with errors.
    assert rows == [("Nightly orders", day.date(), 25, 23, 1, 3, 250, 6, pytest.approx(3 / 23))]


def _broken_history(load) -> dict:
    """A flow running hourly; its import's mapping changed at T0 + 1 h (ada), after which
    runs fail for a day; bob renames the flow at T0 + 3 h while it fails (the mapping
    change's after window ends there); a harmless change of another flow at T0 + 2 h."""
    flow_id, other, step = oid("f"), oid("f"), oid("i")
    steps = {"pageProcessors": [{"type": "import", "_importId": step}]}
    old_mapping = {"fields": [{"extract": "a", "generate": "b"}]}
    new_mapping = {"fields": [{"extract": "a", "generate": "b"}, {"extract": "c", "generate": "d"}]}
    broken_from, broken_to = T0 + timedelta(hours=1), T0 + timedelta(hours=25)
    failing = lambda m: broken_from <= m < broken_to  # noqa: E731
    load(observed_at=at(T0), flows=[flow(flow_id, "F", **steps), flow(other, "Other")],
         imports=[resource(step, "Post orders", mapping=old_mapping)],
         jobs=hourly(flow_id, T0 - timedelta(days=8), 8 * 24) + hourly(other, T0 - timedelta(days=8), 8 * 24))  # fmt: skip
    breaking = audit_record("import", step, at(broken_from), changes=[
        {"fieldPath": "mapping.fields", "oldValue": old_mapping["fields"], "newValue": new_mapping["fields"]}])  # fmt: skip
    follower = audit_record("flow", flow_id, at(T0 + timedelta(hours=3)), user="bob",
                            changes=[{"fieldPath": "name", "oldValue": "F", "newValue": "F (v2)"}])  # fmt: skip
    harmless = audit_record("flow", other, at(T0 + timedelta(hours=2)), user="cy",
                            changes=[{"fieldPath": "description", "newValue": "nightly"}])  # fmt: skip
    end = T0 + timedelta(days=2)
    load(observed_at=at(end), jobs_from=at(T0 - timedelta(hours=6)),
         flows=[flow(flow_id, "F (v2)", **steps), flow(other, "Other", description="nightly")],
         imports=[resource(step, "Post orders", mapping=new_mapping)],
         audit=[breaking, follower, harmless],
         jobs=hourly(flow_id, T0, 48, failing=failing) + hourly(other, T0, 48))  # fmt: skip
    return {"flow": flow_id, "other": other, "breaking": breaking["_id"], "follower": follower["_id"],
            "harmless": harmless["_id"]}  # fmt: skip


def test_change_impact_puts_the_breaking_change_first_with_its_windows_and_rates(load):
    ids = _broken_history(load)
    rows = load.rows(
        "SELECT event_id, flow_id, user_email, fields, window_before_hours, window_after_hours, runs_before, "
        "runs_with_errors_before, runs_after, runs_with_errors_after, error_rate_after, follows_event_id, "
        "after_until, rise_at_least, rise_beyond_earlier FROM change_impact WHERE runs_before > 0"
    )
    # Its after window ends at the rename: the 2 runs before it, both failing.
    assert rows[0][:13] == (ids["breaking"], ids["flow"], "ada@example.com", ["mapping.fields"], 168.0, 24.0,
                            168, 0, 2, 2, 1.0, None, T0 + timedelta(hours=3))  # fmt: skip
    follower = next(r for r in rows if r[0] == ids["follower"])
    assert follower[11] == ids["breaking"]  # made while the flow already failed
    assert follower[8:10] == (24, 22)  # its after window: 22 failing hours, then 2 good ones
    assert follower[12] == T0 + timedelta(hours=27)
    # Against the week before it rose more than the 2 runs show for the mapping change; against
    # the rate since that change (2 of 2 failing) it did not rise at all.
    assert follower[13] > rows[0][13] and follower[14] < 0
    order = [r[0] for r in rows]
    assert order.index(ids["breaking"]) < order.index(ids["follower"])
    failures = load.rows("SELECT event_id, flow_id FROM changes_followed_by_failures")
    assert failures == [(ids["breaking"], ids["flow"])]


def test_change_impact_within_takes_a_period_and_other_windows(load):
    ids = _broken_history(load)
    rows = load.rows(
        "SELECT event_id, window_before_hours, window_after_hours, runs_before, runs_after, "
        "runs_with_errors_after FROM change_impact_within($a, $b, INTERVAL 2 DAY, INTERVAL 6 HOUR) "
        "WHERE event_id = $e",
        {"e": ids["breaking"], "a": T0, "b": T0 + timedelta(days=1)},
    )
    assert rows == [(ids["breaking"], 48.0, 6.0, 48, 2, 2)]
    # A period that ends before the rename still ends the after window at it.
    assert load.rows(
        "SELECT after_until, runs_after FROM change_impact_within($a, $b, INTERVAL 2 DAY, INTERVAL 6 HOUR) "
        "WHERE event_id = $e",
        {"e": ids["breaking"], "a": T0, "b": T0 + timedelta(hours=2)},
    ) == [(T0 + timedelta(hours=3), 2)]
    # The period holds the changes made in it only; the follower still knows what it follows.
    period = load.rows(
        "SELECT event_id, follows_event_id FROM change_impact_within($a, $b, INTERVAL 7 DAY, INTERVAL 1 DAY)",
        {"a": T0 + timedelta(hours=2, minutes=30), "b": T0 + timedelta(days=1)},
    )
    assert period == [(ids["follower"], ids["breaking"])]
    assert load.rows(
        "SELECT event_id FROM changes_followed_by_failures_between($a, $b)",
        {"a": T0, "b": T0 + timedelta(hours=2)},
    ) == [(ids["breaking"],)]


def test_changes_with_no_run_between_them_share_the_after_window(load):
    """The import's mapping changed at T0 + 1:05 (ada), the flow renamed at T0 + 1:35 (bob),
    no run between them; the runs fail from the mapping change on. The runs cannot tell the
    two apart: both count the same day of runs, and the earlier change comes first."""
    flow_id, step = oid("f"), oid("i")
    steps = {"pageProcessors": [{"type": "import", "_importId": step}]}
    broken_at, renamed_at = T0 + timedelta(hours=1, minutes=5), T0 + timedelta(hours=1, minutes=35)
    failing = lambda m: broken_at <= m < broken_at + timedelta(days=1)  # noqa: E731
    load(observed_at=at(T0), flows=[flow(flow_id, "F", **steps)], imports=[resource(step, "Post orders")],
         jobs=hourly(flow_id, T0 - timedelta(days=8), 8 * 24))  # fmt: skip
    breaking = audit_record("import", step, at(broken_at), changes=[
        {"fieldPath": "mapping.fields", "newValue": [{"extract": "c", "generate": "d"}]}])  # fmt: skip
    rename = audit_record("flow", flow_id, at(renamed_at), user="bob",
                          changes=[{"fieldPath": "name", "oldValue": "F", "newValue": "F (v2)"}])  # fmt: skip
    load(observed_at=at(T0 + timedelta(days=2)), jobs_from=at(T0 - timedelta(hours=6)),
         flows=[flow(flow_id, "F (v2)", **steps)],
         imports=[resource(step, "Post orders", mapping={"fields": [{"extract": "c", "generate": "d"}]})],
         audit=[breaking, rename], jobs=hourly(flow_id, T0, 48, failing=failing))  # fmt: skip
    rows = load.rows(
        "SELECT event_id, after_until, runs_after, runs_with_errors_after, follows_event_id, rise_beyond_earlier "
        "FROM change_impact WHERE runs_before > 0"
    )
    assert [r[:5] for r in rows] == [
        (breaking["_id"], broken_at + timedelta(days=1), 24, 24, None),
        (rename["_id"], renamed_at + timedelta(days=1), 24, 24, breaking["_id"]),
    ]
    assert rows[1][5] == pytest.approx(0)  # nothing beyond the mapping change's rise
    assert load.rows("SELECT event_id FROM changes_followed_by_failures") == [(breaking["_id"],)]
