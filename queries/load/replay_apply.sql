-- Replace the rebuilt versions of the replay candidates with this run's (written by the
-- loader to $path as NDJSON), and move their first observed version's start to $starts.
DELETE FROM store.resource_versions AS v
WHERE v.account = $account
  AND v.origin = 'reconstructed'
  AND EXISTS (
      SELECT 1 FROM replay_candidates AS c
      WHERE c.resource_type = v.resource_type AND c.resource_id = v.resource_id
  );

UPDATE store.resource_versions AS v
SET valid_from = make_timestamp(s.observed_valid_from_us)
FROM replay_starts AS s
WHERE v.account = $account
  AND v.origin = 'observed'
  AND v.resource_type = s.resource_type
  AND v.resource_id = s.resource_id
  AND epoch_us(v.valid_from) = s.previous_valid_from_us
  AND s.observed_valid_from_us <> s.previous_valid_from_us;

INSERT INTO store.resource_versions
SELECT
    $account, resource_type, resource_id, make_timestamp(valid_from_us),
    make_timestamp(valid_to_us), content_hash, doc,
    'reconstructed', 'changed', $run_id, NULL, NULL, NULL, audit_event_id
FROM read_ndjson(
    $path,
    columns = {
        resource_type: 'VARCHAR', resource_id: 'VARCHAR', valid_from_us: 'BIGINT',
        valid_to_us: 'BIGINT', content_hash: 'VARCHAR', audit_event_id: 'VARCHAR', doc: 'JSON'
    }
)
ORDER BY resource_type, resource_id, valid_from_us;
