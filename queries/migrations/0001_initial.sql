-- The internal store (schema `store`): runs, audit records, field changes, resource versions.
-- Analysts read the public views in schema main; these tables may change through later migrations.

CREATE SCHEMA IF NOT EXISTS store;

CREATE TABLE store.meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE store.runs (
    run_id BIGINT PRIMARY KEY,
    account VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    mode VARCHAR NOT NULL CHECK (mode IN ('full', 'incremental')),
    observed_at TIMESTAMP,
    audit_from TIMESTAMP,
    audit_to TIMESTAMP,
    counts JSON,
    requests BIGINT,
    retries BIGINT,
    error VARCHAR,
    flowaudit_version VARCHAR NOT NULL
);

-- No primary key: versions are closed by UPDATE, and uniqueness of open versions is a data
-- check (queries/checks/) rather than an index DuckDB would have to maintain on every update.
CREATE TABLE store.resource_versions (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_to TIMESTAMP,
    content_hash VARCHAR NOT NULL,
    doc JSON NOT NULL,
    origin VARCHAR NOT NULL CHECK (origin IN ('observed', 'reconstructed')),
    closed_by VARCHAR CHECK (closed_by IN ('deleted', 'changed')),
    first_run_id BIGINT NOT NULL,
    last_seen_run_id BIGINT,
    first_seen_at TIMESTAMP,
    last_seen_at TIMESTAMP,
    audit_event_id VARCHAR
);

CREATE TABLE store.latest_documents (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    run_id BIGINT NOT NULL,
    observed_at TIMESTAMP NOT NULL,
    doc JSON NOT NULL
);

CREATE TABLE store.audit_records (
    account VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    time TIMESTAMP NOT NULL,
    resource_type VARCHAR,
    resource_id VARCHAR,
    source VARCHAR,
    event VARCHAR,
    user_id VARCHAR,
    user_name VARCHAR,
    user_email VARCHAR,
    deleted_name VARCHAR,
    raw JSON NOT NULL,
    first_run_id BIGINT NOT NULL
);

CREATE TABLE store.audit_field_changes (
    account VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    field_path VARCHAR,
    old_present BOOLEAN NOT NULL,
    old_value JSON,
    new_present BOOLEAN NOT NULL,
    new_value JSON
);

CREATE TABLE store.flow_steps (
    account VARCHAR NOT NULL,
    flow_id VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL
);

CREATE TABLE store.watermarks (
    account VARCHAR PRIMARY KEY,
    audit_high_water TIMESTAMP NOT NULL,
    run_id BIGINT NOT NULL
);

-- Descriptions of the public views, macros and their columns, parsed from the comment block
-- of each queries/views/*.sql file; DuckDB's COMMENT ON holds the same text for views.
CREATE TABLE store.schema_docs (
    object_name VARCHAR NOT NULL,
    object_kind VARCHAR NOT NULL CHECK (object_kind IN ('view', 'macro')),
    item_kind VARCHAR NOT NULL CHECK (item_kind IN ('object', 'parameter', 'column')),
    position INTEGER NOT NULL,
    item_name VARCHAR,
    description VARCHAR NOT NULL
);

-- API times are ISO-8601, normally with a Z; the store keeps naive UTC. A time without an
-- offset is taken as UTC (never as the session's time zone); NULL when it is not a time.
CREATE MACRO store.utc_time(text) AS (
    CASE
        WHEN suffix(text, 'Z') THEN TRY_CAST(text AS TIMESTAMP)
        WHEN regexp_matches(text, '[+-]\d\d:?\d\d$') THEN TRY_CAST(text AS TIMESTAMPTZ) AT TIME ZONE 'UTC'
        ELSE TRY_CAST(text AS TIMESTAMP)
    END
);
