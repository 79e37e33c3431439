-- The current integrations, one row each, with how many current flows each holds.
-- @column account: The account label the run was given (--account; default 'default').
-- @column integration_id: The integration's integrator.io id (_id).
-- @column name: The integration's name.
-- @column description: The integration's description, NULL when it has none.
-- @column flow_count: Number of current flows in this integration.
-- @column created_at: When the integration was created (createdAt, UTC).
-- @column last_modified: When the integration was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The integration document as the API returned it (JSON).
CREATE OR REPLACE VIEW integrations AS
SELECT
    d.account,
    d.resource_id AS integration_id,
    d.doc ->> '$.name' AS name,
    d.doc ->> '$.description' AS description,
    (SELECT count(*) FROM store.latest_documents AS f
     WHERE f.account = d.account AND f.resource_type = 'flow'
       AND f.doc ->> '$._integrationId' = d.resource_id) AS flow_count,
    store.utc_time(d.doc ->> '$.createdAt') AS created_at,
    store.utc_time(d.doc ->> '$.lastModified') AS last_modified,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
WHERE d.resource_type = 'integration';
