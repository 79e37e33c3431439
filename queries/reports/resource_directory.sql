-- One row per resource ever seen, deleted ones included (those deleted before the first
-- run too): its latest known name, integration, and whether it still exists.
SELECT resource_type, resource_id, name, integration_id, present
FROM store.resource_names
WHERE account = $account
