-- The current imports, one row each, with the current flows that use each one.
-- @column account: The account label the run was given (--account; default 'default').
-- @column import_id: The import's integrator.io id (_id).
-- @column name: The import's name.
-- @column adaptor_type: The import's adaptorType (e.g. 'HTTPImport', 'NetSuiteImport').
-- @column connection_id: The connection the import uses (_connectionId); NULL if none.
-- @column flow_ids: The current flows that use this import, sorted (empty when none does).
-- @column flow_count: Number of current flows that use this import.
-- @column created_at: When the import was created (createdAt, UTC).
-- @column last_modified: When the import was last modified (lastModified, UTC).
-- @column observed_at: When flowaudit last read this document from the API (UTC).
-- @column doc: The import document as the API returned it (JSON).
CREATE OR REPLACE VIEW imports AS
SELECT * EXCLUDE (resource_type) RENAME (resource_id AS import_id)
FROM store.steps_current
WHERE resource_type = 'import';
