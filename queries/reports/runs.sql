-- Every run of the account, newest first: the index's freshness section and the default drift baseline.
SELECT run_id, status, mode, started_at, finished_at, observed_at, audit_from, audit_to, error,
       clock, watermark_distrusted, audit_complete
FROM runs
WHERE account = $account
ORDER BY run_id DESC
