-- Jobs read again whose reading changed (a run that was running has ended): the newer
-- reading replaces the stored one; the job keeps the run that first stored it. Only stored
-- jobs created since the oldest staged one can match ($since): a night reads the newest
-- row groups, not the whole history.
UPDATE store.jobs AS j
SET flow_id = s.flow_id, integration_id = s.integration_id, type = s.type, status = s.status,
    created_at = s.created_at, started_at = s.started_at, ended_at = s.ended_at,
    last_modified = s.last_modified, num_success = s.num_success, num_error = s.num_error,
    num_ignore = s.num_ignore, num_pages = s.num_pages, raw = s.raw, last_run_id = $run_id
FROM staged_jobs AS s
WHERE j.account = $account AND j.created_at >= $since AND j.job_id = s.job_id
  AND j.raw::VARCHAR <> s.raw::VARCHAR
  -- never replace a reading with an older one
  AND coalesce(s.last_modified >= j.last_modified, true);
