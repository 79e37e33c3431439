-- Version changes that point at a field change the store does not hold.
SELECT c.account, c.resource_type, c.resource_id, c.version, c.event_id, c.position
FROM store.version_changes AS c
WHERE NOT EXISTS (
    SELECT 1 FROM store.audit_field_changes AS f
    WHERE f.account = c.account AND f.event_id = c.event_id AND f.position = c.position
);
