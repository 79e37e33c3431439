-- Every version of the scripts listed in $script_ids, oldest first, with its code: what the
-- script pages and the script sections of flow pages show.
SELECT
    v.script_id, v.version, v.name, v.valid_from, v.valid_to, v.deleted, v.origin,
    v.event_id, v.user_name, v.user_email, v.source, v.changed_after, v.changed_before,
    v.content_hash,
    v.doc ->> '$.content' AS content,
    json_exists(v.doc, '$.content') AS has_content,
    CAST(v.doc AS VARCHAR) AS doc
FROM script_versions AS v
WHERE v.account = $account
  AND v.script_id IN (SELECT unnest(CAST($script_ids AS VARCHAR[])))
ORDER BY v.script_id, v.version
