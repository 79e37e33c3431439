-- The current exports, one row each, with the current flows that use each one.
-- @column account: The account label the run was given (--account; default 'default').
-- @column export_id: The export's integrator.io id (_id).
-- @column name: The export's name.
-- @column adaptor_type: The export's adaptorType (e.g. 'HTTPExport', 'NetSuiteExport').
-- @column connection_id: The connection the export uses (_connectionId); NULL if none.
-- @column flow_ids: The current flows that use this export, sorted (empty when none does).
-- @column flow_count: Number of current flows that use this export.
-- @column created_at: When the export was created (createdAt, UTC).
-- @column last_modified: When the export was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The export document as the API returned it (JSON).
CREATE OR REPLACE VIEW exports AS
SELECT * EXCLUDE (resource_type) RENAME (resource_id AS export_id)
FROM store.steps_current
WHERE resource_type = 'export';
