-- Apply the version plan: close changed versions where the new one starts, add the new
-- versions, and note that unchanged open versions were seen again in this run.
UPDATE store.resource_versions AS v
SET valid_to = p.new_valid_from, closed_by = 'changed'
FROM version_plan AS p
WHERE v.account = $account
  AND v.resource_type = p.resource_type
  AND v.resource_id = p.resource_id
  AND v.valid_to IS NULL
  AND p.has_open
  AND NOT p.unchanged;

INSERT INTO store.resource_versions
SELECT
    $account, resource_type, resource_id, new_valid_from, NULL, content_hash, doc,
    'observed', NULL, $run_id, $run_id, $observed_at, $observed_at, NULL,
    NULL  -- version: numbered by derived_refresh.sql
FROM version_plan
WHERE NOT unchanged
ORDER BY resource_type, resource_id;

UPDATE store.resource_versions AS v
SET last_seen_run_id = $run_id, last_seen_at = $observed_at
FROM version_plan AS p
WHERE v.account = $account
  AND v.resource_type = p.resource_type
  AND v.resource_id = p.resource_id
  AND v.valid_to IS NULL
  AND p.unchanged;
