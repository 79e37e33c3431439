-- Internal: the current exports and imports, one row each, with the current flows that use
-- each one: the one body behind the public `exports` and `imports` views.
CREATE OR REPLACE VIEW store.steps_current AS
WITH users AS (
    SELECT account, 'export' AS resource_type, unnest(store.flow_step_ids(doc, '_exportId')) AS step_id,
           resource_id AS flow_id
    FROM store.latest_documents
    WHERE resource_type = 'flow'
    UNION ALL
    SELECT account, 'import', unnest(store.flow_step_ids(doc, '_importId')), resource_id
    FROM store.latest_documents
    WHERE resource_type = 'flow'
),
used AS (
    SELECT account, resource_type, step_id, list_sort(list_distinct(list(flow_id))) AS flow_ids
    FROM users
    GROUP BY ALL
)
SELECT
    d.account,
    d.resource_type,
    d.resource_id,
    d.doc ->> '$.name' AS name,
    d.doc ->> '$.adaptorType' AS adaptor_type,
    d.doc ->> '$._connectionId' AS connection_id,
    coalesce(u.flow_ids, []) AS flow_ids,
    len(coalesce(u.flow_ids, [])) AS flow_count,
    store.utc_time(d.doc ->> '$.createdAt') AS created_at,
    store.utc_time(d.doc ->> '$.lastModified') AS last_modified,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
LEFT JOIN used AS u
  ON u.account = d.account AND u.resource_type = d.resource_type AND u.step_id = d.resource_id
WHERE d.resource_type IN ('export', 'import');
