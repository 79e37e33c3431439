-- The audit windows this run paged, as its manifest lists them (completeness evidence).
INSERT INTO store.audit_windows
SELECT $run_id, $account, window_from, window_to, scope, records, pages, complete
FROM staged_audit_windows
ORDER BY window_to, scope;
