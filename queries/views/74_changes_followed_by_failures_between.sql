-- The changes of a period [ts_from, ts_to) after which a flow failed clearly more often:
-- the rows of change_impact_within (7 days before, 24 hours after or until the flow's next
-- change) whose rise is beyond the runs' noise (rise_at_least above 0) and at least 10
-- points of error rate; for a change made while an earlier change of the same flow was
-- followed by a rise (follows_changed_at), 10 points beyond the rate since that change too
-- (rise_beyond_earlier). What the overview's "Changes followed by failures" lists for the
-- last 30 days, and what a digest of a period reads. Same columns and order as
-- change_impact. Example: SELECT * FROM changes_followed_by_failures_between(TIMESTAMPTZ
-- '2026-10-01 00:00Z', TIMESTAMPTZ '2026-11-01 00:00Z').
-- @param ts_from: Start of the period of the changes (TIMESTAMPTZ), included.
-- @param ts_to: End of the period of the changes (TIMESTAMPTZ), excluded.
-- @column account: The account label the run was given (--account; default 'default').
-- @column flow_id: The flow whose runs failed more often.
-- @column flow_name: Its current name (or its last known name once deleted).
-- @column changed_at: When the change took effect (UTC).
-- @column resource_type: What changed: 'flow', 'export' or 'import'.
-- @column resource_id: The id of what changed.
-- @column resource_name: Its name in the version the change made.
-- @column version: The version the change made.
-- @column event_id: The audit record that made the change; NULL when unexplained.
-- @column label: 'explained', 'system' or 'unexplained'.
-- @column user_name: Who made it.
-- @column user_email: Their e-mail address.
-- @column source: Where it came from, lower case ('ui', 'api', 'system', ...).
-- @column fields: The field paths the change changed, sorted.
-- @column window_before_hours: 168 (7 days).
-- @column window_after_hours: 24 (the longest the after window reaches).
-- @column runs_before: Runs of the flow counted in the 7 days before the change.
-- @column runs_with_errors_before: Of those, runs that failed or had error records.
-- @column error_rate_before: runs_with_errors_before / runs_before.
-- @column runs_after: Runs of the flow counted in the 24 hours after the change, or until
--    the flow's next change (after_until).
-- @column runs_with_errors_after: Of those, runs that failed or had error records.
-- @column error_rate_after: runs_with_errors_after / runs_after.
-- @column rise: error_rate_after - error_rate_before (at least 0.1).
-- @column rise_at_least: The rise at 95% confidence (above 0).
-- @column follows_changed_at: When an earlier change of the same flow, at most 24 hours
--    before, was followed by a rise beyond noise; NULL otherwise.
-- @column follows_event_id: That earlier change's audit record (NULL if unexplained).
-- @column rise_beyond_earlier: rise_at_least, or for a change that follows an earlier one
--    the rise over the rate since that change when smaller (see change_impact_within): the order.
-- @column after_until: When the after window ends (excluded): 24 hours after the change,
--    or the flow's next change when a run separates it from this one and it came sooner.
CREATE OR REPLACE MACRO changes_followed_by_failures_between(ts_from, ts_to) AS TABLE
SELECT *
FROM change_impact_within(ts_from, ts_to, INTERVAL 7 DAY, INTERVAL 1 DAY)
WHERE rise_at_least > 0 AND rise >= 0.1
  AND (follows_changed_at IS NULL OR rise_beyond_earlier >= 0.1)
ORDER BY rise_beyond_earlier DESC, rise DESC, changed_at, flow_id, resource_id;
