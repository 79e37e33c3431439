-- What the reports read of every flow version without reading its document (issue 13): the
-- integration it belonged to (its `_integrationId`: the monthly history pages show each
-- record with its flows as they were then, store.records_as_made), and the patch from its
-- document back to the version before it (the flow pages carry earlier configurations as
-- patches: flowaudit.transform.patches). The loader writes both with each version; the
-- history is rebuilt after this migration to fill them in.

ALTER TABLE store.resource_versions ADD COLUMN integration_id VARCHAR;
ALTER TABLE store.resource_versions ADD COLUMN back_patch JSON;
