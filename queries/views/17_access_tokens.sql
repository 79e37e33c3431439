-- The current API tokens of the account (GET /v1/accesstokens), one row each: full access
-- or the resources they are scoped to, revoked, expiry. The token's own value is never
-- stored, not even masked.
-- @column account: The account label the run was given (--account; default 'default').
-- @column access_token_id: The token's integrator.io id (_id).
-- @column name: The token's name.
-- @column description: The token's description, NULL when it has none.
-- @column full_access: Whether the token may do anything in the account (fullAccess).
-- @column personal: Whether it is a person's own token (tokenType 'ashare'), which
--    expires by itself (90 days by default).
-- @column token_type: tokenType as the API gives it, NULL when absent.
-- @column connection_ids: The connections a scoped token may use (_connectionIds), sorted.
-- @column export_ids: The exports a scoped token may use (_exportIds), sorted.
-- @column import_ids: The imports a scoped token may use (_importIds), sorted.
-- @column api_ids: The APIs a scoped token may use (_apiIds), sorted.
-- @column revoked: Whether the token is revoked.
-- @column auto_purge_at: When the token expires and is purged (autoPurgeAt, UTC); NULL
--    when it never does.
-- @column last_used_at: When the token was last used, when the API says so (lastUsedAt,
--    UTC; volatile); NULL otherwise.
-- @column created_at: When the token was created (createdAt, UTC).
-- @column last_modified: When the token was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The token document as read, without the token's value (JSON).
CREATE OR REPLACE VIEW access_tokens AS
SELECT
    d.account,
    d.resource_id AS access_token_id,
    d.doc ->> '$.name' AS name,
    d.doc ->> '$.description' AS description,
    coalesce(TRY_CAST(d.doc ->> '$.fullAccess' AS BOOLEAN), false) AS full_access,
    coalesce(d.doc ->> '$.tokenType' = 'ashare', false) AS personal,
    d.doc ->> '$.tokenType' AS token_type,
    list_sort(coalesce(json_extract_string(d.doc, '$._connectionIds[*]'), []::VARCHAR[])) AS connection_ids,
    list_sort(coalesce(json_extract_string(d.doc, '$._exportIds[*]'), []::VARCHAR[])) AS export_ids,
    list_sort(coalesce(json_extract_string(d.doc, '$._importIds[*]'), []::VARCHAR[])) AS import_ids,
    list_sort(coalesce(json_extract_string(d.doc, '$._apiIds[*]'), []::VARCHAR[])) AS api_ids,
    coalesce(TRY_CAST(d.doc ->> '$.revoked' AS BOOLEAN), false) AS revoked,
    store.utc_time(d.doc ->> '$.autoPurgeAt') AS auto_purge_at,
    store.utc_time(d.doc ->> '$.lastUsedAt') AS last_used_at,
    store.utc_time(d.doc ->> '$.createdAt') AS created_at,
    store.utc_time(d.doc ->> '$.lastModified') AS last_modified,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
WHERE d.resource_type = 'accesstoken';
