-- reconciliation: every configuration difference of account $account that took effect in
-- the period [$from, $to) (version_changes), reconciled with the audit log: 'explained'
-- (by the audit records in explaining_event_ids, made by a person), 'system' (integrator.io
-- itself) or 'unexplained' (no record explains it; it happened after changed_after and by
-- changed_before; drift_item is its number in the drift register).
SELECT
    store.utc_text(c.changed_at) AS changed_at,
    c.resource_type,
    c.resource_id,
    c.resource_name,
    c.version,
    c.field_path,
    c.change,
    CAST(c.old_value AS VARCHAR) AS old_value,
    CAST(c.new_value AS VARCHAR) AS new_value,
    c.label,
    c.event_ids AS explaining_event_ids,
    c.user_email,
    c.source,
    store.utc_text(c.changed_after) AS changed_after,
    store.utc_text(c.changed_before) AS changed_before,
    d.item AS drift_item,
    d.status AS drift_status
FROM version_changes AS c
LEFT JOIN drift_register AS d
  ON c.label = 'unexplained' AND d.account = c.account AND d.resource_type = c.resource_type
 AND d.resource_id = c.resource_id AND d.field_path IS NOT DISTINCT FROM c.field_path
 AND d.change = c.change AND d.changed_before = c.changed_before
 AND CAST(d.old_value AS VARCHAR) IS NOT DISTINCT FROM CAST(c.old_value AS VARCHAR)
 AND CAST(d.new_value AS VARCHAR) IS NOT DISTINCT FROM CAST(c.new_value AS VARCHAR)
 AND d.status <> 'withdrawn'
WHERE c.account = $account
  AND c.changed_at >= CAST($from AS TIMESTAMPTZ) AND c.changed_at < CAST($to AS TIMESTAMPTZ)
ORDER BY c.changed_at, c.resource_type, c.resource_id, c.version, c.field_path NULLS FIRST, c.change,
         explaining_event_ids, old_value, new_value;
