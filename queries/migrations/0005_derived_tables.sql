-- What the public views used to derive on every query, kept in tables that every load
-- refreshes inside its transaction (queries/load/derived_refresh.sql):
-- - store.resource_directory: per resource ever seen, its newest name and integration,
--   whether it is present, and the name its delete record gives.
-- - store.attribution: per resource, the flows (and their integrations) it is attributed to.
-- - resource_versions.version: the version's number within its resource (NULL: to be
--   numbered by the load's refresh).
-- - audit_records.field_change_count: entries of the record's fieldChanges stored (NULL: to
--   be counted by the refresh).
-- The migration only shapes the tables: migrate() refreshes them once it has applied it.

CREATE TABLE store.resource_directory (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    name VARCHAR,
    integration_id VARCHAR,
    present BOOLEAN NOT NULL,
    deleted_name VARCHAR
);

CREATE TABLE store.attribution (
    account VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    flow_ids VARCHAR[] NOT NULL,
    integration_ids VARCHAR[] NOT NULL
);

ALTER TABLE store.resource_versions ADD COLUMN version INTEGER;
ALTER TABLE store.audit_records ADD COLUMN field_change_count INTEGER;
