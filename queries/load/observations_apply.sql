-- Record what this run listed (store.observations): a resource listed with the content of
-- its newest stretch extends it; any other listed content starts a new stretch; a resource
-- missing from a complete listing ($complete_types) ends its stretch as gone. The resources
-- whose stretches changed go into the temp table `touched`: their history is rebuilt.
CREATE OR REPLACE TEMP TABLE observation_plan AS
WITH newest AS (
    SELECT resource_type, resource_id, first_seen_at, content_hash, absent_at
    FROM store.observations
    WHERE account = $account
    QUALIFY row_number() OVER (PARTITION BY resource_type, resource_id ORDER BY first_seen_at DESC) = 1
)
SELECT
    s.resource_type,
    s.resource_id,
    coalesce(h.content_hash, n.content_hash) AS content_hash,
    s.doc,
    n.first_seen_at AS newest_first_seen_at,
    coalesce(
        n.absent_at IS NULL AND (s.raw_unchanged OR n.content_hash = h.content_hash), false
    ) AS unchanged
FROM staged_docs AS s
LEFT JOIN staged_hashes AS h USING (resource_type, resource_id)
LEFT JOIN newest AS n USING (resource_type, resource_id);

UPDATE store.observations AS o
SET last_seen_at = $observed_at, last_run_id = $run_id
FROM observation_plan AS p
WHERE o.account = $account
  AND o.resource_type = p.resource_type AND o.resource_id = p.resource_id
  AND o.first_seen_at = p.newest_first_seen_at
  AND p.unchanged;

INSERT INTO store.observations
SELECT $account, resource_type, resource_id, $observed_at, $observed_at, $run_id, $run_id,
       content_hash, NULL, NULL, doc
FROM observation_plan
WHERE NOT unchanged
ORDER BY resource_type, resource_id;

CREATE OR REPLACE TEMP TABLE gone AS
SELECT resource_type, resource_id, first_seen_at
FROM store.observations AS o
WHERE account = $account
  AND list_contains($complete_types, resource_type)
QUALIFY row_number() OVER (PARTITION BY resource_type, resource_id ORDER BY first_seen_at DESC) = 1
    AND absent_at IS NULL
    AND NOT EXISTS (
        SELECT 1 FROM staged_docs AS s
        WHERE s.resource_type = o.resource_type AND s.resource_id = o.resource_id
    );

UPDATE store.observations AS o
SET absent_at = $observed_at, absent_run_id = $run_id
FROM gone AS g
WHERE o.account = $account
  AND o.resource_type = g.resource_type AND o.resource_id = g.resource_id
  AND o.first_seen_at = g.first_seen_at;

-- Rebuilt: what changed stretch, what went, what got audit records in this run, and what
-- was listed with content its current version does not hold.
CREATE OR REPLACE TEMP TABLE touched AS
SELECT resource_type, resource_id FROM observation_plan WHERE NOT unchanged
UNION
SELECT resource_type, resource_id FROM gone
UNION
SELECT resource_type, resource_id
FROM store.audit_records
WHERE account = $account AND first_run_id = $run_id
  AND list_contains($types, resource_type) AND resource_id IS NOT NULL
UNION
SELECT p.resource_type, p.resource_id
FROM observation_plan AS p
JOIN store.resource_versions AS v
  ON v.account = $account AND v.resource_type = p.resource_type
 AND v.resource_id = p.resource_id AND v.valid_to IS NULL
WHERE v.content_hash <> p.content_hash;

DROP TABLE gone;
