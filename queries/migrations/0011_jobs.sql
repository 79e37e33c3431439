-- Flow jobs (GET /v1/jobs) and the open errors of flows (GET /v1/flows/<id>/errors), kept
-- for ever: integrator.io forgets jobs and purges errors after about 30 days.
-- `jobs`: one row per job, its latest reading (a job read while running is read again
-- finished by a later run, which updates it; a job the API no longer returns is kept).
-- `job_windows`: every window of /jobs a loaded run paged (completeness evidence, like
-- audit_windows); `job_reads`: what each loaded run read of jobs and errors as a whole;
-- `job_watermarks`: where the next run's reading of jobs starts (moved by complete reads
-- only); `open_errors`: a flow's open errors per step each time they changed (a row with
-- step_id NULL when none were open).

CREATE TABLE store.jobs (
    account VARCHAR NOT NULL,
    job_id VARCHAR NOT NULL,
    flow_id VARCHAR,
    integration_id VARCHAR,
    type VARCHAR,
    status VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    last_modified TIMESTAMPTZ,
    num_success BIGINT,
    num_error BIGINT,
    num_ignore BIGINT,
    num_pages BIGINT,
    raw JSON NOT NULL USING COMPRESSION zstd,
    first_run_id BIGINT NOT NULL,
    last_run_id BIGINT NOT NULL
);

CREATE TABLE store.job_windows (
    run_id BIGINT NOT NULL,
    account VARCHAR NOT NULL,
    window_from TIMESTAMPTZ,           -- NULL: everything before window_to
    window_to TIMESTAMPTZ NOT NULL,    -- excluded
    records BIGINT NOT NULL,
    pages BIGINT NOT NULL,
    complete BOOLEAN NOT NULL,
    gaps JSON NOT NULL
);

CREATE TABLE store.job_reads (
    run_id BIGINT NOT NULL,
    account VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,             -- full | incremental
    jobs_from TIMESTAMPTZ,             -- NULL: everything the API still had
    jobs_to TIMESTAMPTZ NOT NULL,
    complete BOOLEAN NOT NULL,
    gaps JSON NOT NULL,
    records BIGINT NOT NULL,           -- jobs read (each once)
    new_jobs BIGINT NOT NULL,
    updated_jobs BIGINT NOT NULL,
    error_flows BIGINT NOT NULL,       -- flows whose open errors were read
    error_requests BIGINT NOT NULL     -- GET /flows/<id>/errors made
);

CREATE TABLE store.job_watermarks (
    account VARCHAR PRIMARY KEY,
    jobs_high_water TIMESTAMPTZ NOT NULL,
    run_id BIGINT NOT NULL
);

CREATE TABLE store.open_errors (
    account VARCHAR NOT NULL,
    flow_id VARCHAR NOT NULL,
    run_id BIGINT NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,  -- the run's observation time
    num_open_error BIGINT,             -- the flows listing's numOpenError (NULL: not given)
    last_error_at TIMESTAMPTZ,         -- the flows listing's lastErrorAt
    step_id VARCHAR,                   -- the export or import (NULL: no open error)
    num_error BIGINT NOT NULL
);
