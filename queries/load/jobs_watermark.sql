-- Move the account's jobs watermark to the end of this run's complete reading of jobs
-- (never back), unless the stored one was not trusted (later than this machine's clock
-- allowed: then this reading replaces it).
INSERT OR REPLACE INTO store.job_watermarks
SELECT
    $account,
    CASE WHEN $distrusted THEN $jobs_to
         ELSE greatest($jobs_to, coalesce(max(jobs_high_water), $jobs_to)) END,
    $run_id
FROM store.job_watermarks
WHERE account = $account;
