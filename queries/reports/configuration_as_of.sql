-- The whole configuration (every resource's document) valid at $at; $at NULL = the current versions.
WITH versions AS (
    SELECT account, 'integration' AS resource_type, integration_id AS resource_id, valid_from, valid_to, is_current, doc FROM integration_versions
    UNION ALL SELECT account, 'flow', flow_id, valid_from, valid_to, is_current, doc FROM flow_versions
    UNION ALL SELECT account, 'export', export_id, valid_from, valid_to, is_current, doc FROM export_versions
    UNION ALL SELECT account, 'import', import_id, valid_from, valid_to, is_current, doc FROM import_versions
    UNION ALL SELECT account, 'connection', connection_id, valid_from, valid_to, is_current, doc FROM connection_versions
)
SELECT resource_type, resource_id, doc ->> '$.name' AS name, CAST(doc AS VARCHAR) AS doc
FROM versions
WHERE account = $account
  AND CASE WHEN $at IS NULL THEN is_current
           ELSE valid_from <= $at AND (valid_to IS NULL OR valid_to > $at) END
ORDER BY resource_type, resource_id
