-- Audit records with $from < time <= $to ($from NULL = from the beginning), oldest first.
SELECT event_id, time, resource_type, resource_id, source, event,
       coalesce(user_name, user_email, user_id, '(unknown)') AS user_name,
       coalesce(user_email, '') AS user_email,
       deleted_name
FROM store.audit_records
WHERE account = $account
  AND ($from IS NULL OR time > $from)
  AND time <= $to
ORDER BY time, event_id
