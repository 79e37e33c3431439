-- The fieldChanges of the audit records with $from <= time < $to, in record order (values as JSON text).
SELECT c.event_id, c.position, c.field_path,
       c.old_present, CAST(c.old_value AS VARCHAR) AS old_value,
       c.new_present, CAST(c.new_value AS VARCHAR) AS new_value
FROM store.audit_field_changes AS c
SEMI JOIN (
    SELECT event_id FROM store.audit_records
    WHERE account = $account AND time >= $from AND time < $to
) AS a USING (event_id)
WHERE c.account = $account
ORDER BY c.event_id, c.position
