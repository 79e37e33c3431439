-- The versions (with documents) of the flows listed in $flow_ids, oldest first: the flow
-- pages to render. Times as ISO-8601 UTC text (NULL: open).
SELECT flow_id, version,
       strftime(valid_from, '%Y-%m-%dT%H:%M:%SZ') AS valid_from,
       strftime(valid_to, '%Y-%m-%dT%H:%M:%SZ') AS valid_to,
       origin, CAST(doc AS VARCHAR) AS doc
FROM flow_versions
WHERE account = $account AND flow_id IN (SELECT unnest(CAST($flow_ids AS VARCHAR[])))
ORDER BY flow_id, version
