-- The account's current API tokens, for the access review page.
SELECT access_token_id, name, description, full_access, personal, connection_ids, export_ids,
       import_ids, api_ids, revoked, auto_purge_at, last_used_at, created_at
FROM access_tokens
WHERE account = $account
ORDER BY revoked, full_access DESC, lower(coalesce(name, access_token_id))
