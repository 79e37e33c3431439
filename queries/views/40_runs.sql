-- Every flowaudit run on this database: when, what mode, how it ended, what it loaded.
-- @column run_id: The run's number (1, 2, ... in order of start).
-- @column account: The account label the run was given (--account; default 'default').
-- @column started_at: When the run started (UTC, local clock).
-- @column finished_at: When it finished (UTC); NULL while running.
-- @column status: 'running', 'succeeded' or 'failed' (a run found still 'running' when the
--    next one starts was killed and is marked failed).
-- @column mode: 'full' (the whole audit log) or 'incremental' (from the watermark).
-- @column observed_at: The API server's time when the run read the account (UTC).
-- @column audit_from: Start of the audit window read (UTC); NULL for the whole history.
-- @column audit_to: End of the audit window read (UTC).
-- @column requests: HTTP requests the run made.
-- @column retries: Requests it had to retry (429, 5xx, dropped connections).
-- @column counts: What the run loaded (JSON: new audit records, new versions, deleted, ...).
-- @column error: Why the run failed (one line); NULL otherwise.
-- @column flowaudit_version: The flowaudit version that ran it.
CREATE OR REPLACE VIEW runs AS
SELECT
    run_id, account, started_at, finished_at, status, mode, observed_at, audit_from,
    audit_to, requests, retries, counts, error, flowaudit_version
FROM store.runs;
