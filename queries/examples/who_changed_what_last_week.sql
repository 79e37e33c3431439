-- Who changed what in the last week: one row per audit record, newest first, with the
-- fields it changed.
--
-- "The last week" is the $days days up to the newest data in the database: the time the
-- last successful flowaudit run read the account (runs.observed_at), or now when no run
-- succeeded. So a copy of the database examined later still answers about its own last week.
--
-- @param days = 7        how many days back to look
--
-- Run: flowaudit sql -f queries/examples/who_changed_what_last_week.sql [-p days 14]
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
    e.source,
    e.event,
    e.resource_type,
    e.resource_name,
    e.resource_id,
    coalesce(f.fields, []) AS fields,
    e.event_id
FROM audit_events AS e
CROSS JOIN period AS p
LEFT JOIN fields AS f ON f.account = e.account AND f.event_id = e.event_id
WHERE e.time >= p.starts AND e.time < p.ends
ORDER BY e.time DESC, e.event_id;
