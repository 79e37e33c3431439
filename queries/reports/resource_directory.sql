-- One row per resource ever seen: its latest known name, integration and whether it is gone.
-- Names of resources only the audit log knows (deleted before the first run) come from deletedInfo.
WITH latest AS (
    SELECT resource_type, resource_id,
           arg_max(doc, valid_from) AS doc,
           bool_or(valid_to IS NULL) AS present
    FROM store.resource_versions
    WHERE account = $account
    GROUP BY ALL
), audit_names AS (
    SELECT resource_type, resource_id, arg_max(deleted_name, time) AS deleted_name
    FROM store.audit_records
    WHERE account = $account AND deleted_name IS NOT NULL
    GROUP BY ALL
)
SELECT coalesce(l.resource_type, a.resource_type) AS resource_type,
       coalesce(l.resource_id, a.resource_id) AS resource_id,
       coalesce(l.doc ->> '$.name', a.deleted_name) AS name,
       l.doc ->> '$._integrationId' AS integration_id,
       coalesce(l.present, false) AS present
FROM latest AS l
FULL JOIN audit_names AS a USING (resource_type, resource_id)
