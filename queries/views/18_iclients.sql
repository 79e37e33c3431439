-- The current iClients of the account, one row each. An iClient holds the OAuth
-- client a connection signs in with (its secret masked).
-- @column account: The account label the run was given (--account; default 'default').
-- @column iclient_id: The iClient's integrator.io id (_id).
-- @column name: Its name.
-- @column provider: The OAuth provider (provider), NULL when absent.
-- @column flow_ids: The flows that refer to it (any version of the flow or of its exports
--    and imports), sorted (empty when none does).
-- @column created_at: When it was created (createdAt, UTC).
-- @column last_modified: When it was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The document as the API returned it (JSON).
CREATE OR REPLACE VIEW iclients AS
SELECT
    d.account,
    d.resource_id AS iclient_id,
    d.doc ->> '$.name' AS name,
    d.doc ->> '$.provider' AS provider,
    coalesce(a.flow_ids, []::VARCHAR[]) AS flow_ids,
    store.utc_time(d.doc ->> '$.createdAt') AS created_at,
    store.utc_time(d.doc ->> '$.lastModified') AS last_modified,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
LEFT JOIN store.attribution AS a
  ON a.account = d.account AND a.resource_type = d.resource_type AND a.resource_id = d.resource_id
WHERE d.resource_type = 'iclient';
