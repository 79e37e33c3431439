-- Every run of the account, newest first: what the index's freshness section and the drift baseline use.
SELECT run_id, status, mode, started_at, finished_at, observed_at, audit_from, audit_to, error
FROM store.runs
WHERE account = $account
ORDER BY run_id DESC
