-- The periods the account's audit log is known to be stored completely: every complete
-- window of the whole account's /audit that a succeeded run read (per-flow windows and
-- windows whose paging stopped early prove nothing). Runs loaded before flowaudit recorded
-- windows (runs.audit_complete NULL) count by their audit_from/audit_to, as they always did.
-- A window proves only what existed when it was read: for runs loaded before flowaudit
-- bounded its observation time by the local clock (runs.clock NULL), a window's end counts
-- up to the run's finish at most (a server clock far ahead once set ends a year away, and
-- windows "read" past the run's own time held nothing yet); an emptied window counts for nothing.
WITH windows AS (
    SELECT
        w.window_from,
        CASE WHEN r.clock IS NULL THEN least(w.window_to, r.finished_at) ELSE w.window_to END AS window_to
    FROM audit_windows AS w
    JOIN runs AS r USING (run_id)
    WHERE w.account = $account AND r.status = 'succeeded' AND w.account_wide AND w.complete
    UNION ALL
    SELECT audit_from, least(audit_to, finished_at)
    FROM runs
    WHERE account = $account AND status = 'succeeded' AND audit_complete IS NULL
      AND audit_to IS NOT NULL
)
SELECT window_from, window_to
FROM windows
WHERE window_from IS NULL OR window_to > window_from
ORDER BY window_from NULLS FIRST, window_to
