-- The fieldChanges of the audit records with $from < time <= $to, in record order.
SELECT f.event_id, f.position, f.field_path,
       f.old_present, CAST(f.old_value AS VARCHAR) AS old_value,
       f.new_present, CAST(f.new_value AS VARCHAR) AS new_value
FROM store.audit_field_changes AS f
JOIN store.audit_records AS a USING (account, event_id)
WHERE f.account = $account
  AND ($from IS NULL OR a.time > $from)
  AND a.time <= $to
ORDER BY f.event_id, f.position
