-- The resources of $account whose configuration differs from the pinned baseline $baseline,
-- those with unexplained changes first.
SELECT resource_type, resource_id, name, status, unexplained
FROM drift_from_baseline($baseline)
WHERE account = $account
ORDER BY unexplained DESC, resource_type, name, resource_id
