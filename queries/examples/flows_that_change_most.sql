-- The flows that change most often in the last $days days, most changed first: changes of
-- the flow itself (flow_changes) and of the exports and imports it uses (step_changes; an
-- audit record is attributed to every flow in its flow_ids, so a shared export counts for
-- every flow using it). flow_name is the flow's newest known name.
--
-- The period [start, end) ends at the newest data: the time the last successful flowaudit
-- run read the account (runs.observed_at), or now when no run succeeded.
--
-- @param days = 90       how many days back to look
-- @param top = 20        how many flows to list
--
-- Run: flowaudit sql -f queries/examples/flows_that_change_most.sql [-p days 30 -p top 10]
WITH period AS (
    SELECT ends - to_days(CAST($days AS INTEGER)) AS starts, ends
    FROM (
        SELECT coalesce(max(observed_at) FILTER (WHERE status = 'succeeded'),
                        now()) AS ends
        FROM runs
    )
),
attributed AS (
    SELECT e.account, u.flow_id, e.event_id, e.resource_type, e.user_id, e.time
    FROM audit_events AS e
    CROSS JOIN period AS p
    CROSS JOIN unnest(e.flow_ids) AS u(flow_id)
    WHERE e.time >= p.starts AND e.time < p.ends
),
names AS (
    SELECT account, flow_id, arg_max(name, valid_from) AS flow_name
    FROM flow_versions
    GROUP BY ALL
)
SELECT
    a.flow_id,
    any_value(n.flow_name) AS flow_name,
    count(DISTINCT a.event_id) AS changes,
    count(DISTINCT a.event_id) FILTER (WHERE a.resource_type = 'flow') AS flow_changes,
    count(DISTINCT a.event_id) FILTER (WHERE a.resource_type <> 'flow') AS step_changes,
    count(DISTINCT a.user_id) AS people,
    max(a.time) AS last_change
FROM attributed AS a
LEFT JOIN names AS n ON n.account = a.account AND n.flow_id = a.flow_id
GROUP BY a.account, a.flow_id
ORDER BY changes DESC, flow_name, a.flow_id
LIMIT CAST($top AS INTEGER);
