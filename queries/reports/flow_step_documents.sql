-- The version of each listed resource that was valid at the listed moment (the i-th of $types,
-- $ids and $ats, moments as ISO-8601 UTC text): a flow page's steps and their connections as
-- they were when one of its versions began, as resources_as_of(ts) reads them. Documents as JSON
-- text; a resource that did not exist then has no row.
WITH wanted AS (
    SELECT DISTINCT * FROM (
        SELECT unnest(CAST($types AS VARCHAR[])) AS resource_type,
               unnest(CAST($ids AS VARCHAR[])) AS resource_id,
               unnest(CAST($ats AS VARCHAR[])) AS at_text
    )
)
SELECT w.resource_type, w.resource_id, w.at_text, r.version, r.name, CAST(r.doc AS VARCHAR) AS doc
FROM wanted AS w
JOIN store.resource_versions AS r
  ON r.account = $account AND r.resource_type = w.resource_type AND r.resource_id = w.resource_id
 AND r.valid_from <= CAST(w.at_text AS TIMESTAMPTZ)
 AND (r.valid_to IS NULL OR CAST(w.at_text AS TIMESTAMPTZ) < r.valid_to)
ORDER BY w.resource_type, w.resource_id, w.at_text
