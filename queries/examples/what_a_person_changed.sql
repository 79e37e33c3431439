-- What one person changed: every audit record made by $person (a name, e-mail address or
-- user id, case-insensitive) since $since, newest first, one row per changed field (one row
-- with field_path NULL for a record that lists no fields, such as a create or delete).
--
-- @param person =               who (required): -p person 'Ann Example' or an e-mail
-- @param since = 1970-01-01     from this date or timestamp (UTC) on
--
-- Run: flowaudit sql -f queries/examples/what_a_person_changed.sql -p person ann@example.com
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
LEFT JOIN field_changes AS c ON c.account = e.account AND c.event_id = e.event_id
WHERE lower($person) IN (lower(e.user_name), lower(e.user_email), lower(e.user_id))
  AND e.time >= CAST($since AS TIMESTAMP)
ORDER BY e.time DESC, e.event_id, c.position;
