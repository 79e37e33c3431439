-- Completeness evidence of every run, from its manifest: each audit window it paged (one
-- row per window: its period, its scope, the records and pages read, whether its last page
-- was reached), and on the run row whether the audit as a whole was complete, why not, how
-- many records it read, and how each listing ended. Written in the load's transaction, so
-- only loaded (succeeded) runs have windows.
-- Runs loaded before this migration recorded none of it: their windows are not invented
-- here (their rows keep audit_from/audit_to; audit_complete stays NULL, "not recorded").

CREATE TABLE store.audit_windows (
    run_id BIGINT NOT NULL,
    account VARCHAR NOT NULL,
    window_from TIMESTAMP,          -- NULL: from the start of the audit history
    window_to TIMESTAMP NOT NULL,   -- excluded
    scope VARCHAR NOT NULL,         -- '/audit' (the whole account), '/flows/<id>/audit', ...
    records BIGINT NOT NULL,
    pages BIGINT NOT NULL,
    complete BOOLEAN NOT NULL
);

ALTER TABLE store.runs ADD COLUMN audit_complete BOOLEAN;
ALTER TABLE store.runs ADD COLUMN audit_gaps JSON;
ALTER TABLE store.runs ADD COLUMN audit_records BIGINT;
ALTER TABLE store.runs ADD COLUMN listings JSON;
