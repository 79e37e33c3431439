-- What one person changed in the last $days days: every audit record made by $person (a
-- name, e-mail address or user id, case-insensitive), newest first, one row per changed
-- field (one row with field_path NULL for a record that lists no fields, such as a create
-- or delete).
--
-- The period [start, end) ends at the newest data: the time the last successful flowaudit
-- run read the account (runs.observed_at), or now when no run succeeded. -p days 100000 for all history.
--
-- @param person =        who (required): -p person 'Ann Example' or an e-mail address
-- @param days = 30       how many days back to look
--
-- Run: flowaudit sql -f queries/examples/what_a_person_changed.sql -p person ann@example.com
WITH period AS (
    SELECT ends - to_days(CAST($days AS INTEGER)) AS starts, ends
    FROM (
        SELECT coalesce(max(observed_at) FILTER (WHERE status = 'succeeded'),
                        now()) AS ends
        FROM runs
    )
)
SELECT
    e.time,
    e.source,
    e.event,
    e.resource_type,
    e.resource_name,
    e.resource_id,
    c.field_path,
    c.old_value,
    c.new_value,
    e.event_id
FROM audit_events AS e
CROSS JOIN period AS p
LEFT JOIN field_changes AS c ON c.account = e.account AND c.event_id = e.event_id
WHERE lower($person) IN (lower(e.user_name), lower(e.user_email), lower(e.user_id))
  AND e.time >= p.starts AND e.time < p.ends
ORDER BY e.time DESC, e.event_id, c.position;
