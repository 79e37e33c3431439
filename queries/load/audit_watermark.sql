-- Move the account's audit watermark forward to the end of this run's complete windows.
INSERT OR REPLACE INTO store.watermarks
SELECT $account, greatest($audit_to, coalesce(max(audit_high_water), $audit_to)), $run_id
FROM store.watermarks
WHERE account = $account;
