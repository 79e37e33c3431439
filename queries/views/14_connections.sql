-- The current connections, one row each. Credentials stay as the API returns them: masked.
-- @column account: The account label the run was given (--account; default 'default').
-- @column connection_id: The connection's integrator.io id (_id).
-- @column name: The connection's name.
-- @column type: The connection type (e.g. 'rest', 'http', 'netsuite', 'salesforce', 'ftp').
-- @column offline: Whether integrator.io reported the connection offline when last read.
-- @column created_at: When the connection was created (createdAt, UTC).
-- @column last_modified: When the connection was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The connection document as the API returned it (JSON; secrets masked by the
--    API, never unmasked by flowaudit).
CREATE OR REPLACE VIEW connections AS
SELECT
    d.account,
    d.resource_id AS connection_id,
    d.doc ->> '$.name' AS name,
    d.doc ->> '$.type' AS type,
    coalesce(TRY_CAST(d.doc ->> '$.offline' AS BOOLEAN), false) AS offline,
    store.utc_time(d.doc ->> '$.createdAt') AS created_at,
    store.utc_time(d.doc ->> '$.lastModified') AS last_modified,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
WHERE d.resource_type = 'connection';
