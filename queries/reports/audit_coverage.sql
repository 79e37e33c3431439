-- The periods the account's audit log is known to be stored completely: every complete
-- window of the whole account's /audit that a succeeded run read (per-flow windows and
-- windows whose paging stopped early prove nothing). Runs loaded before flowaudit recorded
-- windows (runs.audit_complete NULL) count by their audit_from/audit_to, as they always did.
SELECT w.window_from, w.window_to
FROM audit_windows AS w
JOIN runs AS r USING (run_id)
WHERE w.account = $account AND r.status = 'succeeded' AND w.account_wide AND w.complete
UNION ALL
SELECT audit_from, audit_to
FROM runs
WHERE account = $account AND status = 'succeeded' AND audit_complete IS NULL
  AND audit_to IS NOT NULL
ORDER BY window_from NULLS FIRST, window_to
