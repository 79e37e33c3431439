-- Did a change break a flow? For every change to a flow or to one of its exports and
-- imports (each version of version_changes that changed fields; creations and deletions
-- are left out), per flow it touched: the flow's error rate in a window before the change
-- and in a window after it, with the change's record, author, source and fields. A run
-- counts in the window of its createdAt; only runs that ended completed or failed count
-- (jobs.ended). Windows are half-open: before is [changed_at - before_window, changed_at),
-- after is [changed_at, after_until), where after_until is changed_at + after_window or,
-- when sooner, the flow's next change (to it or to a step it ever used) that a run
-- separates from this one: the runs after that change are the later change's to answer
-- for. Changes with no run between them cannot be told apart by their runs and share the
-- after window. Ordered by how much the rate rose: by the rise the runs counted support at
-- 95% confidence (rise_at_least), then by rise; a change made while an earlier change of
-- the same flow was still followed by a rise (follows_changed_at) counts only by how much
-- its rate rose beyond the rate since that change (rise_beyond_earlier), so the change that
-- started the failures comes before those made while they went on.
-- A change of a step shared by several flows is a row for each flow that ever used it.
-- An unexplained change counts from the moment a run first saw it. Only the changes made
-- in [ts_from, ts_to) are listed, and only the runs their windows reach are read: a
-- bounded period answers in time however long the history. Example:
-- SELECT * FROM change_impact_within(TIMESTAMPTZ '2026-10-01 00:00Z',
-- TIMESTAMPTZ '2026-11-01 00:00Z', INTERVAL 3 DAY, INTERVAL 6 HOUR) LIMIT 20.
-- @param ts_from: Start of the period of the changes (TIMESTAMPTZ), included.
-- @param ts_to: End of the period of the changes (TIMESTAMPTZ), excluded.
-- @param before_window: How far before the change the 'before' rate reaches (INTERVAL).
-- @param after_window: How far after the change the 'after' rate reaches at most (INTERVAL).
-- @column account: The account label the run was given (--account; default 'default').
-- @column flow_id: The flow whose runs are counted.
-- @column flow_name: Its current name (or its last known name once deleted).
-- @column changed_at: When the change took effect (UTC; version_changes.changed_at).
-- @column resource_type: What changed: 'flow', 'export' or 'import'.
-- @column resource_id: The id of what changed.
-- @column resource_name: Its name in the version the change made.
-- @column version: The version the change made (resource_versions.version).
-- @column event_id: The audit record that made the change; NULL when unexplained.
-- @column label: 'explained', 'system' or 'unexplained' (as in version_changes).
-- @column user_name: Who made it (the record's byUser.name).
-- @column user_email: Their e-mail address.
-- @column source: Where it came from, lower case ('ui', 'api', 'system', ...).
-- @column fields: The field paths the change changed, sorted.
-- @column window_before_hours: The length of the 'before' window, in hours.
-- @column window_after_hours: The longest the 'after' window reaches, in hours (it ends
--    sooner at the flow's next change: after_until).
-- @column runs_before: Runs of the flow counted in the 'before' window.
-- @column runs_with_errors_before: Of those, runs that failed or had error records.
-- @column error_rate_before: runs_with_errors_before / runs_before; NULL with no run.
-- @column runs_after: Runs of the flow counted in the 'after' window.
-- @column runs_with_errors_after: Of those, runs that failed or had error records.
-- @column error_rate_after: runs_with_errors_after / runs_after; NULL with no run.
-- @column rise: error_rate_after - error_rate_before; NULL when either is.
-- @column rise_at_least: The rise at 95% confidence: the lower bound of the after rate's
--    Wilson interval minus the upper bound of the before rate's; NULL when either window
--    has no run. Above 0, the rate rose beyond what the runs' noise explains.
-- @column follows_changed_at: When an earlier change of the same flow, made at most the
--    after window before this one, was followed by a rise beyond noise (the largest such
--    rise): this change was made while the flow already failed more. NULL otherwise.
-- @column follows_event_id: That earlier change's audit record (NULL if unexplained).
-- @column rise_beyond_earlier: rise_at_least, or for a change that follows an earlier one
--    (follows_changed_at) the smaller of it and the rise over the rate since that change
--    (the after rate's lower bound minus the upper bound of the rate of the runs from
--    follows_changed_at to this change; with no such run, rise_at_least minus the earlier
--    change's): how much the rate rose beyond what was already rising. The order of the
--    rows.
-- @column after_until: When the 'after' window ends (excluded): changed_at + the after
--    window, or the flow's next change when a run separates it from this one and it came
--    sooner.
CREATE OR REPLACE MACRO change_impact_within(ts_from, ts_to, before_window, after_window) AS TABLE
-- The bounds are written out, not read from a CTE, so that they are constants DuckDB pushes
-- into the scans (a bounded period then reads only its part of the history).
WITH changed AS (
    -- Changes from one after window before ts_from are read too: a change may follow one;
    -- and to one after window after ts_to: a later change may end a change's after window.
    SELECT
        account, resource_type, resource_id, version,
        any_value(resource_name) AS resource_name,
        min(changed_at) AS changed_at,
        any_value(label) AS label,
        any_value(event_ids[1]) AS event_id,
        any_value(source) AS source,
        list(DISTINCT field_path ORDER BY field_path) AS fields
    FROM version_changes
    WHERE resource_type IN ('flow', 'export', 'import') AND field_path IS NOT NULL
      AND changed_at >= CAST(ts_from AS TIMESTAMPTZ) - CAST(after_window AS INTERVAL)
      AND changed_at < CAST(ts_to AS TIMESTAMPTZ) + CAST(after_window AS INTERVAL)
    GROUP BY account, resource_type, resource_id, version
),
touched AS (
    SELECT c.*, c.resource_id AS flow_id FROM changed AS c WHERE c.resource_type = 'flow'
    UNION ALL
    SELECT c.*, s.flow_id
    FROM changed AS c
    JOIN store.flow_steps AS s
      ON s.account = c.account AND s.resource_type = c.resource_type AND s.resource_id = c.resource_id
),
in_reach AS (
    -- The ended runs the windows reach, whether each went wrong.
    SELECT account, flow_id, created_at, store.job_had_errors(status, num_error) AS went_wrong
    FROM store.jobs
    WHERE store.job_ended(status) AND flow_id IS NOT NULL
      AND created_at >= CAST(ts_from AS TIMESTAMPTZ) - CAST(after_window AS INTERVAL) - CAST(before_window AS INTERVAL)
      AND created_at < CAST(ts_to AS TIMESTAMPTZ) + CAST(after_window AS INTERVAL)
),
moments AS (
    -- Each instant a flow changed at, and the next one.
    SELECT account, flow_id, changed_at,
           lead(changed_at) OVER (PARTITION BY account, flow_id ORDER BY changed_at) AS next_at
    FROM (SELECT DISTINCT account, flow_id, changed_at FROM touched)
),
separated AS (
    -- Whether a run came between a moment and the next one (within the after window: a
    -- next moment further away ends no after window anyway).
    SELECT m.account, m.flow_id, m.changed_at, m.next_at, count(r.created_at) > 0 AS has_run
    FROM moments AS m
    LEFT JOIN in_reach AS r
      ON r.account = m.account AND r.flow_id = m.flow_id
     AND r.created_at >= m.changed_at
     AND r.created_at < least(m.next_at, m.changed_at + CAST(after_window AS INTERVAL))
    GROUP BY ALL
),
bounded AS (
    -- A change's after window ends at the first later moment a run separates from it.
    SELECT
        account, flow_id, changed_at,
        least(
            changed_at + CAST(after_window AS INTERVAL),
            min(next_at) FILTER (WHERE has_run) OVER (
                PARTITION BY account, flow_id ORDER BY changed_at
                ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
            )
        ) AS after_until
    FROM separated
),
rates AS (
    -- A range join: each change meets only its flow's runs of its two windows.
    SELECT
        t.account, t.flow_id, t.resource_type, t.resource_id, t.version, t.resource_name,
        t.changed_at, t.label, t.event_id, t.source, t.fields, b.after_until,
        count(r.created_at) FILTER (WHERE r.created_at < t.changed_at) AS runs_before,
        count(r.created_at) FILTER (WHERE r.created_at < t.changed_at AND r.went_wrong) AS runs_with_errors_before,
        count(r.created_at) FILTER (WHERE r.created_at >= t.changed_at) AS runs_after,
        count(r.created_at) FILTER (WHERE r.created_at >= t.changed_at AND r.went_wrong) AS runs_with_errors_after
    FROM touched AS t
    JOIN bounded AS b
      ON b.account = t.account AND b.flow_id = t.flow_id AND b.changed_at = t.changed_at
    LEFT JOIN in_reach AS r
      ON r.account = t.account AND r.flow_id = t.flow_id
     AND r.created_at >= t.changed_at - CAST(before_window AS INTERVAL)
     AND r.created_at < b.after_until
    WHERE t.changed_at < CAST(ts_to AS TIMESTAMPTZ)
    GROUP BY ALL
),
measured AS (
    SELECT
        r.*,
        r.runs_with_errors_before / nullif(r.runs_before, 0) AS error_rate_before,
        r.runs_with_errors_after / nullif(r.runs_after, 0) AS error_rate_after,
        store.wilson_bound(r.runs_with_errors_after, r.runs_after, -1)
            - store.wilson_bound(r.runs_with_errors_before, r.runs_before, 1) AS rise_at_least
    FROM rates AS r
),
followed AS (
    -- The earlier change of the same flow, within the after window, with the largest rise
    -- beyond noise: a change made while the flow already failed more is measured against it.
    SELECT
        m.*,
        max(rise_at_least) FILTER (WHERE rise_at_least > 0) OVER earlier AS earlier_rise,
        arg_max(changed_at, rise_at_least) FILTER (WHERE rise_at_least > 0) OVER earlier AS follows_changed_at,
        arg_max(event_id, rise_at_least) FILTER (WHERE rise_at_least > 0) OVER earlier AS follows_event_id
    FROM measured AS m
    WINDOW earlier AS (
        PARTITION BY account, flow_id ORDER BY changed_at
        RANGE BETWEEN CAST(after_window AS INTERVAL) PRECEDING AND CURRENT ROW EXCLUDE GROUP
    )
),
since_earlier AS (
    -- The runs from the earlier change to this one: the rate the flow already failed at.
    SELECT
        f.account, f.flow_id, f.changed_at,
        count(r.created_at) AS runs,
        count(r.created_at) FILTER (WHERE r.went_wrong) AS runs_with_errors
    FROM (SELECT DISTINCT account, flow_id, changed_at, follows_changed_at
          FROM followed WHERE follows_changed_at IS NOT NULL) AS f
    LEFT JOIN in_reach AS r
      ON r.account = f.account AND r.flow_id = f.flow_id
     AND r.created_at >= f.follows_changed_at AND r.created_at < f.changed_at
    GROUP BY ALL
)
SELECT
    r.account,
    r.flow_id,
    n.name AS flow_name,
    r.changed_at,
    r.resource_type,
    r.resource_id,
    r.resource_name,
    r.version,
    r.event_id,
    r.label,
    a.user_name,
    a.user_email,
    r.source,
    r.fields,
    epoch(CAST(before_window AS INTERVAL)) / 3600.0 AS window_before_hours,
    epoch(CAST(after_window AS INTERVAL)) / 3600.0 AS window_after_hours,
    r.runs_before,
    r.runs_with_errors_before,
    r.error_rate_before,
    r.runs_after,
    r.runs_with_errors_after,
    r.error_rate_after,
    r.error_rate_after - r.error_rate_before AS rise,
    r.rise_at_least,
    r.follows_changed_at,
    r.follows_event_id,
    CASE
        WHEN r.follows_changed_at IS NULL THEN r.rise_at_least
        WHEN s.runs > 0 THEN least(
            r.rise_at_least,
            store.wilson_bound(r.runs_with_errors_after, r.runs_after, -1)
                - store.wilson_bound(s.runs_with_errors, s.runs, 1)
        )
        ELSE r.rise_at_least - r.earlier_rise
    END AS rise_beyond_earlier,
    r.after_until
FROM followed AS r
LEFT JOIN since_earlier AS s
  ON s.account = r.account AND s.flow_id = r.flow_id AND s.changed_at = r.changed_at
LEFT JOIN store.resource_names AS n
  ON n.account = r.account AND n.resource_type = 'flow' AND n.resource_id = r.flow_id
LEFT JOIN store.audit_records AS a
  ON a.account = r.account AND a.event_id = r.event_id
WHERE r.changed_at >= CAST(ts_from AS TIMESTAMPTZ)
-- A change that follows an earlier rise counts only by how much it rose beyond it; on a tie
-- the earlier change comes first: what changed first is the likelier cause.
ORDER BY rise_beyond_earlier DESC NULLS LAST, rise DESC NULLS LAST, r.changed_at, r.flow_id, r.resource_id;
