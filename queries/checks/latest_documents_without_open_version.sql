-- Present resources (latest documents) without an open version, or open versions of
-- resources not present: the current views and the history must agree.
SELECT l.account, l.resource_type, l.resource_id, 'document without open version' AS problem
FROM store.latest_documents AS l
WHERE NOT EXISTS (
    SELECT 1 FROM store.resource_versions AS v
    WHERE v.account = l.account AND v.resource_type = l.resource_type
      AND v.resource_id = l.resource_id AND v.valid_to IS NULL
)
UNION ALL
SELECT v.account, v.resource_type, v.resource_id, 'open version without document'
FROM store.resource_versions AS v
WHERE v.valid_to IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM store.latest_documents AS l
    WHERE v.account = l.account AND v.resource_type = l.resource_type
      AND v.resource_id = l.resource_id
);
