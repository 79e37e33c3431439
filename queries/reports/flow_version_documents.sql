-- The versions (with documents) of the flows listed in $flow_ids, oldest first: the flow pages to render.
SELECT flow_id, version, valid_from, valid_to, origin, CAST(doc AS VARCHAR) AS doc
FROM flow_versions
WHERE account = $account AND flow_id IN (SELECT unnest(CAST($flow_ids AS VARCHAR[])))
ORDER BY flow_id, version
