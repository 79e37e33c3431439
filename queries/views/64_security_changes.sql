-- The changes that bear on who can do what, and on the code that runs on production data:
-- every change (creations and deletions included) to users, API tokens and scripts, and
-- every change to a connection's credentials (a field whose path names authentication, a
-- password, a secret, a token, a key, a certificate or a user name). The rows of
-- version_changes, with why each is security-relevant: what a "needs attention" list reads.
-- @column account: The account label the run was given (--account; default 'default').
-- @column resource_type: 'user', 'accesstoken', 'script' or 'connection'.
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: Its name in the version the change made.
-- @column version: The version the change made (for a deletion: the version it ended).
-- @column changed_at: When the change took effect (UTC).
-- @column field_path: The changed field; NULL when the resource was created or deleted.
-- @column change: 'modified', 'added', 'removed', 'created' or 'deleted'.
-- @column old_value: The value before (JSON; secrets masked before storage).
-- @column new_value: The value after (JSON; secrets masked before storage).
-- @column label: 'explained', 'system' or 'unexplained' (see version_changes).
-- @column event_ids: The audit records that explain the change (empty when unexplained).
-- @column user_email: Who made it.
-- @column source: Where it came from ('ui', 'api', ...).
-- @column changed_after: For an unexplained change: the last observation before it (UTC).
-- @column changed_before: For an unexplained change: the time by which it had happened (UTC).
-- @column reason: Why it is security-relevant: 'user access', 'API token', 'script code'
--    or 'connection credentials'.
CREATE OR REPLACE VIEW security_changes AS
SELECT
    *,
    CASE resource_type
        WHEN 'user' THEN 'user access'
        WHEN 'accesstoken' THEN 'API token'
        WHEN 'script' THEN 'script code'
        ELSE 'connection credentials'
    END AS reason
FROM version_changes
WHERE resource_type IN ('user', 'accesstoken', 'script')
   OR (resource_type = 'connection'
       AND regexp_matches(lower(coalesce(field_path, '')),
                          'auth|passw|secret|token|api.?key|credential|certificate|private.?key|username|encrypted|signature|oauth'));
