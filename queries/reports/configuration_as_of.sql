-- The whole configuration (every resource document) valid at $at; $at NULL = the current one.
SELECT resource_type, resource_id, doc ->> '$.name' AS name, CAST(doc AS VARCHAR) AS doc
FROM store.resource_versions
WHERE account = $account
  AND CASE WHEN $at IS NULL THEN valid_to IS NULL
           ELSE valid_from <= $at AND (valid_to IS NULL OR valid_to > $at) END
ORDER BY resource_type, resource_id
