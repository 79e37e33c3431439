-- The flows that change most often in the last $days days, most changed first: changes of
-- the flow itself (flow_changes) and of the exports and imports it uses (step_changes,
-- through flow_audit_events; a shared export counts for every flow using it).
--
-- The period ends at the newest data: the time the last successful flowaudit run read the
-- account (runs.observed_at), or now when no run succeeded.
--
-- @param days = 90       how many days back to look
-- @param top = 20        how many flows to list
--
-- Run: flowaudit sql -f queries/examples/flows_that_change_most.sql [-p days 30 -p top 10]
WITH period AS (
    SELECT ends - to_days(CAST($days AS INTEGER)) AS starts, ends
    FROM (
        SELECT coalesce(max(observed_at) FILTER (WHERE status = 'succeeded'),
                        now() AT TIME ZONE 'UTC') AS ends
        FROM runs
    )
)
SELECT
    e.flow_id,
    any_value(e.flow_name) AS flow_name,
    count(DISTINCT e.event_id) AS changes,
    count(DISTINCT e.event_id) FILTER (WHERE e.via = 'flow') AS flow_changes,
    count(DISTINCT e.event_id) FILTER (WHERE e.via <> 'flow') AS step_changes,
    count(DISTINCT e.user_id) AS people,
    max(e.time) AS last_change
FROM flow_audit_events AS e
CROSS JOIN period AS p
WHERE e.time > p.starts AND e.time <= p.ends
GROUP BY e.account, e.flow_id
ORDER BY changes DESC, flow_name, e.flow_id
LIMIT CAST($top AS INTEGER);
