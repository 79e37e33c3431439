-- What an access review looks at first, one row per finding, as of each account's latest
-- successful run: API tokens with full access; personal tokens that expire within 14 days
-- (or have expired); tokens with no recorded use (only where the API reports when tokens
-- were last used); administrators who may sign in without multi-factor authentication.
-- Revoked tokens and disabled users are left out.
-- @column account: The account label the run was given (--account; default 'default').
-- @column flag: 'full_access_token', 'personal_token_expiring', 'token_never_used' or
--    'administrator_without_mfa'.
-- @column resource_type: 'accesstoken' or 'user'.
-- @column resource_id: The token's id (access_token_id) or the share's (share_id).
-- @column name: The token's name, or the person's name and e-mail address.
-- @column detail: The finding in words (when a token expires, ...).
-- @column as_of: The observation time of the account's latest successful run: what
--    "within 14 days" counts from.
CREATE OR REPLACE VIEW access_review AS
WITH as_of AS (
    SELECT account, max(observed_at) AS as_of
    FROM store.runs
    WHERE status = 'succeeded' AND observed_at IS NOT NULL
    GROUP BY account
),
usage_reported AS (
    SELECT account, bool_or(json_exists(doc, '$.lastUsedAt')) AS reported
    FROM access_tokens
    GROUP BY account
),
findings AS (
    SELECT t.account, 'full_access_token' AS flag, 'accesstoken' AS resource_type,
           t.access_token_id AS resource_id, t.name,
           'may change anything in the account' || CASE WHEN t.auto_purge_at IS NULL THEN ', and never expires' ELSE '' END AS detail
    FROM access_tokens AS t
    WHERE t.full_access AND NOT t.revoked
    UNION ALL
    SELECT t.account, 'personal_token_expiring', 'accesstoken', t.access_token_id, t.name,
           CASE WHEN t.auto_purge_at < a.as_of THEN 'expired ' ELSE 'expires ' END
               || strftime(t.auto_purge_at, '%Y-%m-%d %H:%M UTC')
               || ': a job using it stops working'
    FROM access_tokens AS t
    JOIN as_of AS a USING (account)
    WHERE t.personal AND NOT t.revoked AND t.auto_purge_at IS NOT NULL
      AND t.auto_purge_at < a.as_of + INTERVAL 14 DAY
    UNION ALL
    SELECT t.account, 'token_never_used', 'accesstoken', t.access_token_id, t.name,
           'no use recorded since it was created'
               || coalesce(' (' || strftime(t.created_at, '%Y-%m-%d') || ')', '')
    FROM access_tokens AS t
    JOIN usage_reported AS u USING (account)
    WHERE u.reported AND NOT t.revoked AND t.last_used_at IS NULL
    UNION ALL
    SELECT u.account, 'administrator_without_mfa', 'user', u.share_id,
           coalesce(u.name, '') || coalesce(' <' || u.email || '>', ''),
           'administrator; the account does not require multi-factor sign-in of this user'
    FROM users AS u
    WHERE u.access_level = 'administrator' AND NOT u.mfa_required AND NOT u.disabled
)
SELECT f.account, f.flag, f.resource_type, f.resource_id, f.name, f.detail, a.as_of
FROM findings AS f
LEFT JOIN as_of AS a USING (account);
