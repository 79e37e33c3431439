-- The current users of the account (GET /v1/ashares: one share per person the account is
-- shared with), one row each: who they are, their access (account-wide, or per
-- integration), MFA and SSO requirements, whether they accepted and whether they are
-- disabled. `lastSignIn` is volatile: it is shown, but its change is no new version.
-- @column account: The account label the run was given (--account; default 'default').
-- @column share_id: The share's integrator.io id (_id): the resource id of user records
--    in the audit log and in user_versions.
-- @column person_id: The person's user id (sharedWithUser._id): people.person_id and
--    audit_events.user_id for their own changes.
-- @column name: The person's name (sharedWithUser.name).
-- @column email: The person's e-mail address (sharedWithUser.email).
-- @column access_level: 'administrator', 'manage' or 'monitor' for account-wide access;
--    NULL when the access is per integration (integration_access).
-- @column integration_access: Per-integration access (integrationAccessLevel: a JSON list
--    of {_integrationId, accessLevel}); NULL for account-wide access.
-- @column integration_ids: The integrations of integration_access, sorted (empty when none).
-- @column mfa_required: Whether the account requires multi-factor sign-in of this user
--    (accountMFARequired).
-- @column sso_required: Whether the account requires single sign-on of this user
--    (accountSSORequired).
-- @column accepted: Whether the person accepted the invitation.
-- @column disabled: Whether the share is disabled.
-- @column last_sign_in: When the person last signed in (lastSignIn, UTC; volatile).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The share document as the API returned it (JSON).
CREATE OR REPLACE VIEW users AS
SELECT
    d.account,
    d.resource_id AS share_id,
    d.doc ->> '$.sharedWithUser._id' AS person_id,
    d.doc ->> '$.sharedWithUser.name' AS name,
    d.doc ->> '$.sharedWithUser.email' AS email,
    d.doc ->> '$.accessLevel' AS access_level,
    d.doc -> '$.integrationAccessLevel' AS integration_access,
    list_sort(coalesce(json_extract_string(d.doc, '$.integrationAccessLevel[*]._integrationId'), []::VARCHAR[]))
        AS integration_ids,
    coalesce(TRY_CAST(d.doc ->> '$.accountMFARequired' AS BOOLEAN), false) AS mfa_required,
    coalesce(TRY_CAST(d.doc ->> '$.accountSSORequired' AS BOOLEAN), false) AS sso_required,
    coalesce(TRY_CAST(d.doc ->> '$.accepted' AS BOOLEAN), false) AS accepted,
    coalesce(TRY_CAST(d.doc ->> '$.disabled' AS BOOLEAN), false) AS disabled,
    store.utc_time(d.doc ->> '$.lastSignIn') AS last_sign_in,
    d.observed_at,
    d.doc
FROM store.latest_documents AS d
WHERE d.resource_type = 'user';
