-- Every stored version of the resources of one type, oldest first (observed and reconstructed).
SELECT resource_id, valid_from, valid_to, origin, closed_by, CAST(doc AS VARCHAR) AS doc
FROM store.resource_versions
WHERE account = $account AND resource_type = $resource_type
ORDER BY resource_id, valid_from
