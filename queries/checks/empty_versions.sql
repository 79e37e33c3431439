-- Versions that end before (or when) they begin.
SELECT account, resource_type, resource_id, valid_from, valid_to
FROM store.resource_versions
WHERE valid_to IS NOT NULL AND valid_to <= valid_from;
