-- The whole configuration (every resource's document) a run observing at $at saw: every
-- change made before $at, none made at it or later (the versions valid just before $at);
-- $at NULL = the current versions.
SELECT resource_type, resource_id, name, CAST(doc AS VARCHAR) AS doc
FROM resource_versions
WHERE account = $account
  AND CASE WHEN $at IS NULL THEN is_current
           ELSE valid_from < $at AND (valid_to IS NULL OR valid_to >= $at) END
ORDER BY resource_type, resource_id
