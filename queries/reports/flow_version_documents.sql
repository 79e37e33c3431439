-- The versions of the flows listed in $flow_ids, oldest first: the flow pages to render. Times
-- as ISO-8601 UTC text (NULL: open); each version's patch back to the one before
-- (store.resource_versions.back_patch); the document of the newest version only, and of every
-- version of a flow that has one without its patch (documents too deep to walk: the page
-- compares them itself).
WITH wanted AS (
    SELECT resource_id, version, valid_from, valid_to, origin, back_patch, rowid AS row_id,
           version = max(version) OVER (PARTITION BY resource_id) AS newest,
           bool_or(back_patch IS NULL AND version > 1) OVER (PARTITION BY resource_id) AS needs_documents
    FROM store.resource_versions
    WHERE account = $account AND resource_type = 'flow'
      AND resource_id IN (SELECT unnest(CAST($flow_ids AS VARCHAR[])))
),
documents AS (
    SELECT rowid AS row_id, CAST(doc AS VARCHAR) AS doc
    FROM store.resource_versions
    WHERE rowid IN (SELECT row_id FROM wanted WHERE newest OR needs_documents)
)
SELECT w.resource_id AS flow_id, w.version,
       strftime(w.valid_from, '%Y-%m-%dT%H:%M:%SZ') AS valid_from,
       strftime(w.valid_to, '%Y-%m-%dT%H:%M:%SZ') AS valid_to,
       w.origin, d.doc, CAST(w.back_patch AS VARCHAR) AS back_patch
FROM wanted AS w
LEFT JOIN documents AS d USING (row_id)
ORDER BY w.resource_id, w.version
