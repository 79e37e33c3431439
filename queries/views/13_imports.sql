-- The current imports, one row each, with the current flows that use each one.
-- @column account: The account label the run was given (--account; default 'default').
-- @column import_id: The import's integrator.io id (_id).
-- @column name: The import's name.
-- @column adaptor_type: The import's adaptorType (e.g. 'HTTPImport', 'NetSuiteImport').
-- @column connection_id: The connection the import uses (_connectionId); NULL if none.
-- @column flow_ids: The current flows that use this import, sorted (empty when none does).
-- @column flow_count: Number of current flows that use this import.
-- @column created_at: When the import was created (createdAt, UTC).
-- @column last_modified: When the import was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The import document as the API returned it (JSON).
CREATE OR REPLACE VIEW imports AS
WITH users AS (
    SELECT account, unnest(store.flow_step_ids(doc, '_importId')) AS import_id, resource_id AS flow_id
    FROM store.latest_documents
    WHERE resource_type = 'flow'
),
used AS (
    SELECT account, import_id, list_sort(list_distinct(list(flow_id))) AS flow_ids
    FROM users
    GROUP BY ALL
)
SELECT
    d.account,
    d.resource_id AS import_id,
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
LEFT JOIN used AS u ON u.account = d.account AND u.import_id = d.resource_id
WHERE d.resource_type = 'import';
