-- The newest $limit audit records with time > $from ($from NULL: all), newest first, as a
-- change table shows them (time as ISO-8601 UTC text; new_since: after $new_after), and how
-- many records the period holds in all (`in_period`).
SELECT event_id, strftime(time, '%Y-%m-%dT%H:%M:%SZ') AS time, resource_type, resource_id,
       resource_name, flow_ids, source, event,
       coalesce(user_name, user_email, user_id, '(unknown)') AS user_name,
       coalesce(user_email, '') AS user_email,
       coalesce(time > $new_after, false) AS new_since,
       count(*) OVER () AS in_period
FROM audit_events
WHERE account = $account AND ($from IS NULL OR time > $from)
ORDER BY audit_events.time DESC, event_id DESC
LIMIT $limit
