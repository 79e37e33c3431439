-- The completeness evidence of the audit log: one row per audit window each loaded run
-- paged, as its manifest recorded it (only runs that succeeded store windows). A window is
-- complete when its last page was reached.
-- Only windows of the whole account's /audit (account_wide) can show that no record of a
-- period is missing: a per-flow run reads /flows/<id>/audit for the flows listed then, and
-- cannot see flows deleted before the listing. Runs loaded before flowaudit recorded
-- windows have none (their runs row has audit_complete NULL).
-- @column run_id: The flowaudit run that read the window (runs.run_id).
-- @column account: The account label the run was given (--account; default 'default').
-- @column window_from: Start of the window (UTC), included; NULL for the start of the audit
--    history (a full run's oldest window).
-- @column window_to: End of the window (UTC), excluded.
-- @column scope: What was read: '/audit' (every record of the account), or an endpoint
--    and filter such as '/flows/<id>/audit' or '/audit?resourceType=connection'.
-- @column account_wide: Whether the window read the whole account's audit log (scope
--    '/audit'), so that it can show a period is complete.
-- @column records: Audit records the window returned (before de-duplication).
-- @column pages: Pages read for the window.
-- @column complete: Whether its last page was reached (false: paging stopped early, so
--    records of the window may be missing).
CREATE OR REPLACE VIEW audit_windows AS
SELECT
    run_id,
    account,
    window_from,
    window_to,
    scope,
    scope = '/audit' AS account_wide,
    records,
    pages,
    complete
FROM store.audit_windows;
