-- Settings toggled back and forth in the last $days days: fields of a resource that were
-- changed and then changed back (a change whose new value is the value the previous change
-- of the same field replaced). Most reversals first.
--
-- The period [start, end) ends at the newest data: the time the last successful flowaudit
-- run read the account (runs.observed_at), or now when no run succeeded. Values are compared as
-- minified JSON; a field that had no value compares equal only to a field that has none.
--
-- @param days = 30       how many days back to look
--
-- Run: flowaudit sql -f queries/examples/settings_toggled_back_and_forth.sql [-p days 90]
WITH period AS (
    SELECT ends - to_days(CAST($days AS INTEGER)) AS starts, ends
    FROM (
        SELECT coalesce(max(observed_at) FILTER (WHERE status = 'succeeded'),
                        now()) AS ends
        FROM runs
    )
),
changes AS (
    SELECT
        c.account, c.resource_type, c.resource_id, c.resource_name, c.field_path, c.time,
        coalesce(c.user_name, c.user_email, c.user_id) AS person,
        CAST(json(c.new_value) AS VARCHAR) AS new_text,
        lag(CAST(json(c.old_value) AS VARCHAR)) OVER same_field AS previous_old_text,
        lag(c.time) OVER same_field AS previous_time
    FROM field_changes AS c
    CROSS JOIN period AS p
    WHERE c.time >= p.starts AND c.time < p.ends
    WINDOW same_field AS (
        PARTITION BY c.account, c.resource_type, c.resource_id, c.field_path
        ORDER BY c.time, c.event_id, c.position
    )
)
SELECT
    resource_type,
    resource_name,
    resource_id,
    field_path,
    count(*) FILTER (
        WHERE previous_time IS NOT NULL AND new_text IS NOT DISTINCT FROM previous_old_text
    ) AS reversals,
    count(*) AS changes,
    list_sort(list(DISTINCT person)) AS people,
    min(time) AS first_change,
    max(time) AS last_change
FROM changes
GROUP BY account, resource_type, resource_id, resource_name, field_path
HAVING reversals > 0
ORDER BY reversals DESC, changes DESC, resource_type, resource_id, field_path;
