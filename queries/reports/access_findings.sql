-- What the access review flags for the account (the public view access_review).
SELECT flag, resource_type, resource_id, name, detail, as_of
FROM access_review
WHERE account = $account
ORDER BY flag, lower(coalesce(name, resource_id))
