-- How each flow ran, day by day (UTC days, a run counting on the day of its createdAt):
-- one row per flow and day with at least one run flowaudit has read.
-- @column account: The account label the run was given (--account; default 'default').
-- @column flow_id: The flow.
-- @column flow_name: Its current name (or its last known name once deleted).
-- @column day: The UTC day.
-- @column runs: Flow runs created that day (every status).
-- @column ended_runs: Runs that ended 'completed' or 'failed' (what error_rate counts).
-- @column failed_runs: Runs whose status is 'failed'.
-- @column runs_with_errors: Runs that failed or had at least one error record.
-- @column successes: Records processed successfully (sum of numSuccess).
-- @column errors: Records that failed (sum of numError).
-- @column ignored: Records ignored (sum of numIgnore).
-- @column error_rate: runs_with_errors / ended_runs (0 to 1); NULL when no run ended.
CREATE OR REPLACE VIEW flow_health_daily AS
SELECT
    account,
    flow_id,
    any_value(flow_name) AS flow_name,
    CAST(timezone('UTC', created_at) AS DATE) AS day,
    count(*) AS runs,
    count(*) FILTER (WHERE ended) AS ended_runs,
    count(*) FILTER (WHERE status = 'failed') AS failed_runs,
    count(*) FILTER (WHERE had_errors) AS runs_with_errors,
    coalesce(sum(num_success), 0) AS successes,
    coalesce(sum(num_error), 0) AS errors,
    coalesce(sum(num_ignore), 0) AS ignored,
    count(*) FILTER (WHERE ended AND had_errors) / nullif(count(*) FILTER (WHERE ended), 0) AS error_rate
FROM jobs
WHERE flow_id IS NOT NULL AND coalesce(type, 'flow') = 'flow'
GROUP BY account, flow_id, day;
