-- The versions of the flows listed in $flow_ids, oldest first: the flow pages to render. Times
-- as ISO-8601 UTC text (NULL: open); each version's patch back to the one before
-- (store.resource_versions.back_patch); the document of the newest version only, and of every
-- version of a flow that has one without its patch (documents too deep to walk: the page
-- compares them itself); who made each version and how (resource_versions), the interval of an
-- unexplained one, and the labels of its changes (version_changes: the one reconciliation).
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
),
labels AS (
    SELECT resource_id, version, list_sort(list_distinct(list(label))) AS labels
    FROM version_changes
    WHERE account = $account AND resource_type = 'flow'
      AND resource_id IN (SELECT unnest(CAST($flow_ids AS VARCHAR[])))
    GROUP BY ALL
)
SELECT w.resource_id AS flow_id, w.version,
       strftime(w.valid_from, '%Y-%m-%dT%H:%M:%SZ') AS valid_from,
       strftime(w.valid_to, '%Y-%m-%dT%H:%M:%SZ') AS valid_to,
       w.origin, d.doc, CAST(w.back_patch AS VARCHAR) AS back_patch,
       v.user_name, v.user_email, v.source,
       strftime(v.changed_after, '%Y-%m-%dT%H:%M:%SZ') AS changed_after,
       strftime(v.changed_before, '%Y-%m-%dT%H:%M:%SZ') AS changed_before,
       coalesce(l.labels, []::VARCHAR[]) AS labels,
       strftime(w.valid_from, '%Y-%m-%dT%H:%M:%S.%fZ') AS exact_from
FROM wanted AS w
LEFT JOIN documents AS d USING (row_id)
LEFT JOIN resource_versions AS v
  ON v.account = $account AND v.resource_type = 'flow' AND v.resource_id = w.resource_id AND v.version = w.version
LEFT JOIN labels AS l ON l.resource_id = w.resource_id AND l.version = w.version
ORDER BY w.resource_id, w.version
