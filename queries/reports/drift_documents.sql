-- The resources whose version differs between the configuration a run observing at $at saw
-- (the versions valid just before $at) and the current one: only those can have drifted. One
-- row per side each resource has there (side 'before' or 'now'), with its name and document;
-- the documents are read only for these versions (found by row id, the others stay compressed).
WITH before AS (
    SELECT resource_type, resource_id, version, rowid AS row_id
    FROM store.resource_versions
    WHERE account = $account AND valid_from < $at AND (valid_to IS NULL OR valid_to >= $at)
),
now AS (
    SELECT resource_type, resource_id, version, rowid AS row_id
    FROM store.resource_versions
    WHERE account = $account AND valid_to IS NULL
),
changed AS (
    SELECT b.row_id AS before_row, n.row_id AS now_row
    FROM before AS b
    FULL JOIN now AS n USING (resource_type, resource_id)
    WHERE b.version IS DISTINCT FROM n.version
)
SELECT 'before' AS side, resource_type, resource_id, name, CAST(doc AS VARCHAR) AS doc
FROM store.resource_versions
WHERE rowid IN (SELECT before_row FROM changed WHERE before_row IS NOT NULL)
UNION ALL
SELECT 'now', resource_type, resource_id, name, CAST(doc AS VARCHAR)
FROM store.resource_versions
WHERE rowid IN (SELECT now_row FROM changed WHERE now_row IS NOT NULL)
ORDER BY resource_type, resource_id, side
