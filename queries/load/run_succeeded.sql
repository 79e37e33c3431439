-- Mark a run succeeded with what it observed and loaded (inside the load's transaction).
UPDATE store.runs
SET status = 'succeeded',
    finished_at = $finished_at,
    observed_at = $observed_at,
    audit_from = $audit_from,
    audit_to = $audit_to,
    counts = CAST($counts AS JSON),
    requests = $requests,
    retries = $retries,
    error = NULL
WHERE run_id = $run_id;
