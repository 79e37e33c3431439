-- The listed documents of this run, one per resource (a document listed twice: the later
-- line wins). `raw_unchanged`: the text is byte for byte the newest stored document of a
-- resource still listed, so its content hash cannot have changed and it is not hashed
-- again ($trust_raw is false when the hash's volatile fields changed since then).
CREATE OR REPLACE TEMP TABLE staged_docs AS
WITH listed AS (
    SELECT resource_type, id_json ->> '$' AS resource_id, doc, created_json
    FROM staged_lines
    QUALIFY row_number() OVER (PARTITION BY resource_type, resource_id ORDER BY line_no DESC) = 1
),
still_listed AS (
    SELECT resource_type, resource_id
    FROM store.observations
    WHERE account = $account
    QUALIFY row_number() OVER (PARTITION BY resource_type, resource_id ORDER BY first_seen_at DESC) = 1
        AND absent_at IS NULL
)
SELECT
    s.resource_type,
    s.resource_id,
    s.doc,
    CASE WHEN json_type(s.created_json) = 'VARCHAR'
         THEN store.utc_time(s.created_json ->> '$') END AS created_at,
    coalesce(
        $trust_raw
        AND CAST(l.doc AS VARCHAR) = CAST(s.doc AS VARCHAR)
        AND o.resource_id IS NOT NULL,
        false
    ) AS raw_unchanged
FROM listed AS s
LEFT JOIN store.latest_documents AS l
  ON l.account = $account AND l.resource_type = s.resource_type AND l.resource_id = s.resource_id
LEFT JOIN still_listed AS o
  ON o.resource_type = s.resource_type AND o.resource_id = s.resource_id;
