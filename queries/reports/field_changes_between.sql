-- The fieldChanges of the audit records with $from < time <= $to ($from NULL = from the beginning), in record order.
SELECT event_id, position, field_path,
       old_present, CAST(old_value AS VARCHAR) AS old_value,
       new_present, CAST(new_value AS VARCHAR) AS new_value
FROM field_changes
WHERE account = $account
  AND ($from IS NULL OR time > $from)
  AND time <= $to
ORDER BY event_id, position
