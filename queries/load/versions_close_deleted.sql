-- Close, as deleted, the open version of every resource missing from a complete listing
-- (listing types in $complete_types): at its delete audit record's time when there is one,
-- else at the observation time.
UPDATE store.resource_versions AS v
SET valid_to = d.deleted_at, closed_by = 'deleted',
    version = NULL  -- marks the resource for derived_refresh.sql (same number again)
FROM (
    SELECT
        o.resource_type,
        o.resource_id,
        coalesce(
            (SELECT max(a.time) FROM store.audit_records AS a
             WHERE a.account = $account AND a.resource_type = o.resource_type
               AND a.resource_id = o.resource_id AND a.event = 'delete'
               AND a.time > o.valid_from AND a.time <= $observed_at),
            $observed_at
        ) AS deleted_at
    FROM store.resource_versions AS o
    WHERE o.account = $account
      AND o.valid_to IS NULL
      AND list_contains($complete_types, o.resource_type)
      AND NOT EXISTS (
          SELECT 1 FROM staged_docs AS s
          WHERE s.resource_type = o.resource_type AND s.resource_id = o.resource_id
      )
) AS d
WHERE v.account = $account
  AND v.resource_type = d.resource_type
  AND v.resource_id = d.resource_id
  AND v.valid_to IS NULL;
