-- Internal: the name and integration of every resource ever seen, present or deleted. A
-- deleted resource is named by its delete record (deletedInfo.name), else its last known
-- name. Kept ready-made by every load (store.resource_directory, queries/load/derived_refresh.sql).
CREATE OR REPLACE VIEW store.resource_names AS
SELECT account, resource_type, resource_id, name, integration_id, present
FROM store.resource_directory;
