-- The account's current users, for the access review page.
SELECT share_id, person_id, name, email, access_level, CAST(integration_access AS VARCHAR) AS integration_access,
       mfa_required, sso_required, accepted, disabled, last_sign_in
FROM users
WHERE account = $account
ORDER BY access_level = 'administrator' DESC, lower(coalesce(name, email, share_id))
