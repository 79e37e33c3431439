-- Pinned baselines: a named, approved configuration the drift report can compare with.
-- A pin records a time; the configuration at that time is read from store.resource_versions.
CREATE TABLE store.baselines (
    account VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    as_of TIMESTAMP NOT NULL,
    run_id BIGINT,
    pinned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account, name)
);
