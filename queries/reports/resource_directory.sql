-- One row per resource ever seen: its latest known name, integration, and whether it still exists.
-- Resources only the audit log knows (deleted before the first run) are named by their records.
WITH versions AS (
    SELECT account, 'integration' AS resource_type, integration_id AS resource_id, valid_from, is_current, doc FROM integration_versions
    UNION ALL SELECT account, 'flow', flow_id, valid_from, is_current, doc FROM flow_versions
    UNION ALL SELECT account, 'export', export_id, valid_from, is_current, doc FROM export_versions
    UNION ALL SELECT account, 'import', import_id, valid_from, is_current, doc FROM import_versions
    UNION ALL SELECT account, 'connection', connection_id, valid_from, is_current, doc FROM connection_versions
), latest AS (
    SELECT resource_type, resource_id, arg_max(doc, valid_from) AS doc, bool_or(is_current) AS present
    FROM versions
    WHERE account = $account
    GROUP BY ALL
), audit_names AS (
    SELECT resource_type, resource_id, arg_max(resource_name, time) AS name
    FROM audit_events
    WHERE account = $account AND resource_name IS NOT NULL
    GROUP BY ALL
)
SELECT coalesce(l.resource_type, a.resource_type) AS resource_type,
       coalesce(l.resource_id, a.resource_id) AS resource_id,
       CASE WHEN coalesce(l.present, false) THEN l.doc ->> '$.name'
            ELSE coalesce(a.name, l.doc ->> '$.name') END AS name,
       l.doc ->> '$._integrationId' AS integration_id,
       coalesce(l.present, false) AS present
FROM latest AS l
FULL JOIN audit_names AS a USING (resource_type, resource_id)
