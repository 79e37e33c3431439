-- Audit records with $from < time <= $to ($from NULL = from the beginning), oldest first, with their flows.
SELECT event_id, time, resource_type, resource_id, resource_name, flow_ids, integration_id,
       source, event,
       coalesce(user_name, user_email, user_id, '(unknown)') AS user_name,
       coalesce(user_email, '') AS user_email
FROM audit_events
WHERE account = $account
  AND ($from IS NULL OR time > $from)
  AND time <= $to
ORDER BY time, event_id
