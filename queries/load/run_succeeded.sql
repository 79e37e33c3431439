-- Mark a run succeeded with what it observed and loaded (inside the load's transaction),
-- and the completeness evidence its manifest gives (the windows: audit_windows_insert.sql).
UPDATE store.runs
SET status = 'succeeded',
    finished_at = $finished_at,
    observed_at = $observed_at,
    observed_from = $observed_from,
    audit_from = $audit_from,
    audit_to = $audit_to,
    audit_complete = $audit_complete,
    audit_gaps = CAST($audit_gaps AS JSON),
    audit_records = $audit_records,
    listings = CAST($listings AS JSON),
    counts = CAST($counts AS JSON),
    requests = $requests,
    retries = $retries,
    clock = CAST($clock AS JSON),
    error = NULL
WHERE run_id = $run_id;
