-- The fieldChanges of the audit records listed in $event_ids, in record order (values as JSON text).
SELECT event_id, position, field_path,
       old_present, CAST(old_value AS VARCHAR) AS old_value,
       new_present, CAST(new_value AS VARCHAR) AS new_value
FROM store.audit_field_changes
WHERE account = $account AND event_id IN (SELECT unnest(CAST($event_ids AS VARCHAR[])))
ORDER BY event_id, position
