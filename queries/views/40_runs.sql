-- Every flowaudit run on this database: when, what mode, how it ended, what it loaded, and
-- the evidence that it read the whole audit log of its period (see audit_windows).
-- @column run_id: The run's number (1, 2, ... in order of start).
-- @column account: The account label the run was given (--account; default 'default').
-- @column started_at: When the run started (UTC, local clock).
-- @column finished_at: When it finished (UTC); NULL while running.
-- @column status: 'running', 'succeeded' or 'failed' (a run found still 'running' when the
--    next one starts was killed and is marked failed).
-- @column mode: 'full' (the whole audit log) or 'incremental' (from the watermark).
-- @column observed_at: The moment the run's data reflects (UTC): its listings show every
--    change made before it, and its audit window ends there (a change at exactly this time
--    belongs to the next run).
-- @column observed_from: When the run's listing began (UTC, the API's first Date): a change
--    in [observed_from, observed_at) may or may not show in what it listed. NULL for runs
--    loaded before flowaudit recorded it.
-- @column audit_from: Start of the audit window read (UTC); NULL for the whole history.
-- @column audit_to: End of the audit window read (UTC).
-- @column audit_complete: Whether the run read every audit record of [audit_from,
--    audit_to): every window of the account-wide /audit reached its last page. False for a
--    per-flow run (it cannot see flows deleted before the listing); NULL when the run did not
--    load, or was loaded before flowaudit recorded it.
-- @column audit_gaps: Why the audit is not complete, in words (JSON list of strings; empty
--    when complete).
-- @column audit_records: Audit records the run read (before de-duplication; see
--    audit_windows for them per window).
-- @column listings: How each listing ended (JSON: {"flows": {"complete": true, "count": 40,
--    "pages": 1}, ...}); deletions are taken only from complete listings.
-- @column requests: HTTP requests the run made.
-- @column retries: Requests it had to retry (429, 5xx, dropped connections).
-- @column counts: What the run loaded (JSON: new audit records, new versions, deleted, ...).
-- @column error: Why the run failed (one line); NULL otherwise.
-- @column flowaudit_version: The flowaudit version that ran it.
-- @column clock: What the run saw of the API's clock and this machine's (JSON:
--    {"server_first", "server_last", "local", "skew_seconds", "bounded"}); bounded is true
--    when the API's clock ran more than clock_tolerance_seconds ahead, so the observation
--    time was held to the local clock plus that tolerance. NULL before flowaudit recorded it.
-- @column watermark_distrusted: A stored audit watermark this run found later than the local
--    clock allows (left by a run that trusted a server clock far ahead); the run did not trust
--    it and re-read the audit log from its newest stored record. NULL normally.
-- @column api_url: The API the run read (its base URL); NULL for runs loaded before
--    flowaudit recorded it.
CREATE OR REPLACE VIEW runs AS
SELECT
    run_id, account, started_at, finished_at, status, mode, observed_at, observed_from, audit_from,
    audit_to, audit_complete, audit_gaps, audit_records, listings, requests, retries, counts,
    error, flowaudit_version, clock, watermark_distrusted, api_url
FROM store.runs;
