-- Every resource of $account that has a derived history or a seal: the resources `flowaudit
-- verify` compares (into the temp table seal_keys).
CREATE OR REPLACE TEMP TABLE seal_keys AS
SELECT resource_type, resource_id FROM store.resource_versions WHERE account = $account
UNION SELECT resource_type, resource_id FROM store.version_changes WHERE account = $account
UNION SELECT resource_type, resource_id FROM store.unexplained_changes WHERE account = $account
UNION SELECT resource_type, resource_id FROM store.history_seals WHERE account = $account
UNION SELECT resource_type, resource_id FROM touched;
