-- Field changes whose audit record is not stored.
SELECT c.account, c.event_id, c.position
FROM store.audit_field_changes AS c
WHERE NOT EXISTS (
    SELECT 1 FROM store.audit_records AS a
    WHERE a.account = c.account AND a.event_id = c.event_id
);
