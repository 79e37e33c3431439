-- The name of every export, import and connection over time (each version's start as ISO-8601
-- UTC text, to the microsecond): a change table names the steps in its paths as they were
-- called when the change was made, as the monthly history names everything.
SELECT resource_type, resource_id, strftime(valid_from, '%Y-%m-%dT%H:%M:%S.%fZ') AS valid_from, name
FROM store.resource_versions
WHERE account = $account AND resource_type IN ('export', 'import', 'connection') AND name IS NOT NULL
ORDER BY resource_type, resource_id, valid_from
