-- The manager's morning (issue 11): what each night's digest did, and who pinned a baseline,
-- when and against which approval.
CREATE TABLE store.notifications (
    run_id BIGINT,                 -- the run the digest was about (NULL: no run yet)
    account VARCHAR NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,  -- when the sending ended
    channel VARCHAR NOT NULL CHECK (channel IN ('mail', 'webhook')),
    target VARCHAR NOT NULL,       -- the recipients, or the webhook's host (never its URL)
    subject VARCHAR NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('sent', 'failed', 'skipped')),
    attempts INTEGER NOT NULL,
    error VARCHAR
);

ALTER TABLE store.baselines ADD COLUMN note VARCHAR;       -- the approval reference, e.g. CHG-1234
ALTER TABLE store.baselines ADD COLUMN pinned_by VARCHAR;  -- who pinned it (--by, else the OS user)
