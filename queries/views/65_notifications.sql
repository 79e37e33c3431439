-- What each night's digest did: one row per channel (e-mail, webhook) and night, sent,
-- failed (after one retry, with why) or skipped (a quiet night). The overview shows the
-- newest; a failed send never fails the run.
-- @column run_id: The run the digest was about.
-- @column account: The account label the run was given (--account; default 'default').
-- @column sent_at: When the sending ended (UTC).
-- @column channel: 'mail' or 'webhook'.
-- @column target: The recipients, or the webhook's host (its URL is a credential and is
--    never stored).
-- @column subject: The digest's subject line.
-- @column status: 'sent', 'failed' or 'skipped'.
-- @column attempts: How many times it was tried (a failure is retried once).
-- @column error: Why it failed (one line); NULL otherwise.
CREATE OR REPLACE VIEW notifications AS
SELECT run_id, account, sent_at, channel, target, subject, status, attempts, error
FROM store.notifications;
