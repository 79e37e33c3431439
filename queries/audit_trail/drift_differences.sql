-- The unexplained differences of $account's history as the drift register reads them
-- (flowaudit/audit_trail/drift_register.py), values as JSON text.
SELECT
    resource_type, resource_id, version, changed_after, changed_before, position, field_path,
    change, old_present, CAST(old_value AS VARCHAR), new_present, CAST(new_value AS VARCHAR)
FROM store.unexplained_changes
WHERE account = $account
ORDER BY changed_before, resource_type, resource_id, version, position;
