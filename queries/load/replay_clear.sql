-- Remove the rebuilt versions of this run's replay candidates: they are rebuilt whole.
DELETE FROM store.resource_versions AS v
WHERE v.account = $account
  AND v.origin = 'reconstructed'
  AND EXISTS (
      SELECT 1 FROM replay_candidates AS c
      WHERE c.resource_type = v.resource_type AND c.resource_id = v.resource_id
  );

-- Their other versions are numbered again at the end of the load (derived_refresh.sql
-- numbers every version of a resource that has an unnumbered one).
UPDATE store.resource_versions AS v
SET version = NULL
WHERE v.account = $account
  AND EXISTS (
      SELECT 1 FROM replay_candidates AS c
      WHERE c.resource_type = v.resource_type AND c.resource_id = v.resource_id
  );
