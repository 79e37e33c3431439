-- The integration each flow version belonged to (its `_integrationId`), kept by the loader as
-- it writes the version: the monthly history pages show each record with its flows as they
-- were then (store.records_as_made), and reading that out of every version's document each
-- night would read every document. Versions stored before this migration get it from their
-- documents here, once.

ALTER TABLE store.resource_versions ADD COLUMN integration_id VARCHAR;

UPDATE store.resource_versions
SET integration_id = doc ->> '$._integrationId'
WHERE resource_type = 'flow' AND json_type(doc -> '$._integrationId') = 'VARCHAR';
