-- Remove the rebuilt versions of this run's replay candidates: they are rebuilt whole.
DELETE FROM store.resource_versions AS v
WHERE v.account = $account
  AND v.origin = 'reconstructed'
  AND EXISTS (
      SELECT 1 FROM replay_candidates AS c
      WHERE c.resource_type = v.resource_type AND c.resource_id = v.resource_id
  );
