-- Jobs not stored yet (a stored one has the same createdAt: only those since the oldest
-- staged one are compared, $since).
INSERT INTO store.jobs
SELECT
    $account, s.job_id, s.flow_id, s.integration_id, s.type, s.status, s.created_at,
    s.started_at, s.ended_at, s.last_modified, s.num_success, s.num_error, s.num_ignore,
    s.num_pages, s.raw, $run_id, $run_id
FROM staged_jobs AS s
ANTI JOIN (SELECT job_id FROM store.jobs WHERE account = $account AND created_at >= $since) AS stored
  ON stored.job_id = s.job_id;
