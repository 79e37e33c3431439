-- Exact history (issue 9). Four changes:
-- 1. Every time is a TIMESTAMPTZ (UTC): a DuckDB client in any time zone compares and
--    filters correctly (naive timestamps were UTC by convention only). Existing values are
--    read as UTC, never in the session's zone.
-- 2. What each run saw is kept apart from the history derived from it: store.observations
--    holds one row per stretch of runs that listed a resource with the same content (and
--    whether a later complete listing found it gone). It is built here from the observed
--    versions the earlier loader kept.
-- 3. store.resource_versions is derived from observations and audit records (rebuilt after
--    this migration by flowaudit.load.versions.rebuild_all): every audited change its own
--    version, with the record that started it; unexplained changes as versions of their own
--    with the interval they happened in; resources never observed from their records alone.
-- 4. The field-level changes of each version: store.version_changes points at the audit
--    record's fieldChanges that made it; store.unexplained_changes holds the differences no
--    record explains.

CREATE OR REPLACE MACRO store.utc_time(text) AS (
    CASE
        WHEN suffix(text, 'Z') OR regexp_matches(text, '[+-]\d\d:?\d\d$') THEN TRY_CAST(text AS TIMESTAMPTZ)
        ELSE timezone('UTC', TRY_CAST(text AS TIMESTAMP))
    END
);

ALTER TABLE store.schema_migrations ALTER COLUMN applied_at SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', applied_at);
ALTER TABLE store.runs ALTER COLUMN started_at SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', started_at);
ALTER TABLE store.runs ALTER COLUMN finished_at SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', finished_at);
ALTER TABLE store.runs ALTER COLUMN observed_at SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', observed_at);
ALTER TABLE store.runs ALTER COLUMN audit_from SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', audit_from);
ALTER TABLE store.runs ALTER COLUMN audit_to SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', audit_to);
-- When the run's listing began (its first server Date): records in [observed_from,
-- observed_at) may or may not show in what it listed. NULL for older runs (no such zone).
ALTER TABLE store.runs ADD COLUMN observed_from TIMESTAMPTZ;
ALTER TABLE store.latest_documents ALTER COLUMN observed_at SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', observed_at);
ALTER TABLE store.audit_records ALTER COLUMN time SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', time);
ALTER TABLE store.watermarks ALTER COLUMN audit_high_water SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', audit_high_water);
ALTER TABLE store.baselines ALTER COLUMN as_of SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', as_of);
ALTER TABLE store.baselines ALTER COLUMN pinned_at SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', pinned_at);
ALTER TABLE store.audit_windows ALTER COLUMN window_from SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', window_from);
ALTER TABLE store.audit_windows ALTER COLUMN window_to SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', window_to);

CREATE TABLE store.observations (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,   -- the run that first listed this content
    last_seen_at TIMESTAMPTZ NOT NULL,    -- the last run that listed it unchanged
    first_run_id BIGINT NOT NULL,
    last_run_id BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL,        -- volatile fields excluded (store.meta content_hash_basis)
    absent_at TIMESTAMPTZ,                -- the next complete listing without the resource
    absent_run_id BIGINT,
    doc JSON NOT NULL USING COMPRESSION zstd  -- the document as first listed
);

-- The observed versions of the earlier loader are exactly these stretches. A deleted one
-- was missing from the next run's listing (the earlier loader closed versions only on
-- complete listings).
INSERT INTO store.observations
SELECT
    v.account, v.resource_type, v.resource_id,
    timezone('UTC', coalesce(v.first_seen_at, v.valid_from)),
    timezone('UTC', coalesce(v.last_seen_at, v.first_seen_at, v.valid_from)),
    v.first_run_id, coalesce(v.last_seen_run_id, v.first_run_id),
    v.content_hash,
    CASE WHEN v.closed_by = 'deleted' THEN (
        SELECT min(r.observed_at) FROM store.runs AS r
        WHERE r.account = v.account AND r.status = 'succeeded'
          AND r.observed_at > timezone('UTC', coalesce(v.last_seen_at, v.first_seen_at, v.valid_from))
    ) END,
    CASE WHEN v.closed_by = 'deleted' THEN (
        SELECT arg_min(r.run_id, r.observed_at) FROM store.runs AS r
        WHERE r.account = v.account AND r.status = 'succeeded'
          AND r.observed_at > timezone('UTC', coalesce(v.last_seen_at, v.first_seen_at, v.valid_from))
    ) END,
    v.doc
FROM store.resource_versions AS v
WHERE v.origin = 'observed';

DROP TABLE store.resource_versions;

-- Derived from store.observations and the audit log; rebuilt, never edited by hand.
CREATE TABLE store.resource_versions (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,              -- 1 for the oldest
    valid_from TIMESTAMPTZ NOT NULL,
    valid_to TIMESTAMPTZ,                  -- NULL: current
    origin VARCHAR NOT NULL CHECK (origin IN ('observed', 'reconstructed', 'audit', 'unexplained')),
    closed_by VARCHAR CHECK (closed_by IN ('changed', 'deleted')),
    event_id VARCHAR,                      -- the audit record that started it
    closed_event_id VARCHAR,               -- the delete record that ended it
    changed_after TIMESTAMPTZ,             -- unexplained: happened after this observation
    changed_before TIMESTAMPTZ,            -- unexplained: and by this one (= valid_from)
    name VARCHAR,
    content_hash VARCHAR NOT NULL,
    run_id BIGINT NOT NULL,                -- the run that loaded what the version comes from
    doc JSON NOT NULL USING COMPRESSION zstd
);

-- Which fieldChanges (audit_field_changes by event and position) made each version.
CREATE TABLE store.version_changes (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    event_id VARCHAR NOT NULL,
    position INTEGER NOT NULL
);

-- The connections the exports and imports used in any version (attributes a connection's
-- records to the integrations whose flows use it).
CREATE TABLE store.step_connections (
    account VARCHAR NOT NULL,
    step_type VARCHAR NOT NULL,
    step_id VARCHAR NOT NULL,
    connection_id VARCHAR NOT NULL
);

-- Differences no audit record explains: the field (NULL: the whole resource appeared or
-- vanished), from what to what (JSON), and the interval in which it happened.
CREATE TABLE store.unexplained_changes (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,              -- the version it made (for a deletion: the one it ended)
    changed_after TIMESTAMPTZ NOT NULL,
    changed_before TIMESTAMPTZ NOT NULL,
    position INTEGER NOT NULL,
    field_path VARCHAR,
    change VARCHAR NOT NULL CHECK (change IN ('modified', 'added', 'removed', 'created', 'deleted')),
    old_present BOOLEAN NOT NULL,
    old_value JSON,
    new_present BOOLEAN NOT NULL,
    new_value JSON,
    run_id BIGINT NOT NULL
);
