-- Flows disabled in the last $days days, and by whom: one row per change of a flow's
-- `disabled` setting to true, newest first; still_disabled tells whether the flow is off now
-- (NULL once the flow was deleted).
--
-- The period [start, end) ends at the newest data: the time the last successful flowaudit
-- run read the account (runs.observed_at), or now when no run succeeded.
--
-- @param days = 30       how many days back to look
--
-- Run: flowaudit sql -f queries/examples/flows_disabled_recently.sql [-p days 90]
WITH period AS (
    SELECT ends - to_days(CAST($days AS INTEGER)) AS starts, ends
    FROM (
        SELECT coalesce(max(observed_at) FILTER (WHERE status = 'succeeded'),
                        now()) AS ends
        FROM runs
    )
)
SELECT
    c.time AS disabled_at,
    c.resource_name AS flow_name,
    c.resource_id AS flow_id,
    coalesce(c.user_name, c.user_email, c.user_id) AS disabled_by,
    c.user_email,
    c.source,
    f.disabled AS still_disabled,
    c.event_id
FROM field_changes AS c
CROSS JOIN period AS p
LEFT JOIN flows AS f ON f.account = c.account AND f.flow_id = c.resource_id
WHERE c.resource_type = 'flow'
  AND c.field_path = 'disabled'
  AND CAST(c.new_value AS VARCHAR) = 'true'
  AND c.time >= p.starts AND c.time < p.ends
ORDER BY c.time DESC, c.event_id;
