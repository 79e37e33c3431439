-- Internal: the name and integration of every resource ever seen, present or deleted. A
-- deleted resource is named by its delete record (deletedInfo.name), else its last known name.
CREATE OR REPLACE VIEW store.resource_names AS
WITH newest AS (
    SELECT
        account, resource_type, resource_id,
        doc ->> '$.name' AS name,
        doc ->> '$._integrationId' AS integration_id,
        valid_to IS NULL AS present
    FROM store.resource_versions
    QUALIFY row_number() OVER (
        PARTITION BY account, resource_type, resource_id ORDER BY valid_from DESC
    ) = 1
),
deleted AS (
    SELECT account, resource_type, resource_id, arg_max(deleted_name, time) AS deleted_name
    FROM store.audit_records
    WHERE deleted_name IS NOT NULL
    GROUP BY ALL
)
SELECT
    account, resource_type, resource_id,
    CASE WHEN coalesce(n.present, false) THEN n.name ELSE coalesce(d.deleted_name, n.name) END AS name,
    CASE WHEN resource_type = 'integration' THEN resource_id ELSE n.integration_id END AS integration_id,
    coalesce(n.present, false) AS present
FROM newest AS n
FULL JOIN deleted AS d USING (account, resource_type, resource_id);
