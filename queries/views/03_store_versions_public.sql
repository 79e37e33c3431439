-- Internal: every stored resource version in the shape of the public *_versions views, the
-- one body behind all five of them (each renames resource_id and keeps one resource type).
CREATE OR REPLACE VIEW store.versions_public AS
SELECT
    account,
    resource_type,
    resource_id,
    version,
    doc ->> '$.name' AS name,
    valid_from,
    valid_to,
    valid_to IS NULL AS is_current,
    coalesce(closed_by = 'deleted', false) AS deleted,
    origin,
    content_hash,
    audit_event_id,
    first_run_id AS run_id,
    doc
FROM store.resource_versions;
