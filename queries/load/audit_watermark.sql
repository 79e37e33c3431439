-- Move the account's audit watermark forward to the end of this run's complete windows
-- (never back), unless this run found the stored one too far in the future to trust
-- (runs.watermark_distrusted): then it replaces it with what it read.
INSERT OR REPLACE INTO store.watermarks
SELECT
    $account,
    CASE
        WHEN (SELECT watermark_distrusted FROM store.runs WHERE run_id = $run_id) IS NOT NULL
            THEN $audit_to
        ELSE greatest($audit_to, coalesce(max(audit_high_water), $audit_to))
    END,
    $run_id
FROM store.watermarks
WHERE account = $account;
