-- Move the start of each candidate's first observed version to when the replay says that
-- state began (the registered Arrow table replay_starts).
UPDATE store.resource_versions AS v
SET valid_from = make_timestamp(s.observed_valid_from_us)
FROM replay_starts AS s
WHERE v.account = $account
  AND v.origin = 'observed'
  AND v.resource_type = s.resource_type
  AND v.resource_id = s.resource_id
  AND epoch_us(v.valid_from) = s.previous_valid_from_us
  AND s.observed_valid_from_us <> s.previous_valid_from_us;
