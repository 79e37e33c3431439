-- Versions of one resource whose validity periods overlap (each moment has one version).
SELECT a.account, a.resource_type, a.resource_id, a.valid_from, a.valid_to, b.valid_from AS other_valid_from
FROM store.resource_versions AS a
JOIN store.resource_versions AS b
  ON a.account = b.account AND a.resource_type = b.resource_type AND a.resource_id = b.resource_id
 AND a.valid_from < b.valid_from
 AND (a.valid_to IS NULL OR a.valid_to > b.valid_from);
