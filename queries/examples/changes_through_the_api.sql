-- Changes made through the API (with an API token: scripts, CI, integrations) rather than
-- in the integrator.io UI, in the last $days days: one row per audit record with
-- source = 'api', newest first, with the fields it changed.
--
-- The period [start, end) ends at the newest data: the time the last successful flowaudit
-- run read the account (runs.observed_at), or now when no run succeeded.
--
-- @param days = 30       how many days back to look
--
-- Run: flowaudit sql -f queries/examples/changes_through_the_api.sql [-p days 7]
WITH period AS (
    SELECT ends - to_days(CAST($days AS INTEGER)) AS starts, ends
    FROM (
        SELECT coalesce(max(observed_at) FILTER (WHERE status = 'succeeded'),
                        now()) AS ends
        FROM runs
    )
),
fields AS (
    SELECT c.account, c.event_id, list_sort(list(DISTINCT c.field_path)) AS fields
    FROM field_changes AS c
    CROSS JOIN period AS p
    WHERE c.time >= p.starts AND c.time < p.ends
    GROUP BY ALL
)
SELECT
    e.time,
    coalesce(e.user_name, e.user_email, e.user_id) AS person,
    e.user_email,
    e.event,
    e.resource_type,
    e.resource_name,
    e.resource_id,
    coalesce(f.fields, []) AS fields,
    e.event_id
FROM audit_events AS e
CROSS JOIN period AS p
LEFT JOIN fields AS f ON f.account = e.account AND f.event_id = e.event_id
WHERE e.source = 'api'
  AND e.time >= p.starts AND e.time < p.ends
ORDER BY e.time DESC, e.event_id;
