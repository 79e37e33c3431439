-- The recycle bin's last content of resources deleted within 30 days (temp table
-- `staged_bin`: resource_type, listing, resource_id, deleted_at, content_hash, doc) becomes
-- an observation of $account just before the deletion, so the history rebuild fills in
-- the final version of each deleted resource. An entry is placed at its delete record's
-- time when one lies within a minute of the bin's time (the record at exactly that time
-- comes after the observation), else at the bin's time. It is used once: not when a stored
-- observation already saw the resource at or after that time, nor when this run listed it.
-- Like a listing, it extends the resource's newest stretch when the content is the same,
-- else it starts a stretch that ends where the newest one did (the first complete listing
-- that missed it); a resource whose newest stretch had ended before it (or that flowaudit
-- never saw) gets a stretch ending at the first complete listing after it.
CREATE OR REPLACE TEMP TABLE bin_placed AS
SELECT
    b.resource_type, b.listing, b.resource_id, b.content_hash, b.doc,
    coalesce(
        (SELECT arg_min(a.time, abs(epoch_ms(a.time) - epoch_ms(b.deleted_at)))
         FROM store.audit_records AS a
         WHERE a.account = $account AND a.resource_type = b.resource_type
           AND a.resource_id = b.resource_id AND a.event IN ('delete', 'purge')
           AND a.time BETWEEN b.deleted_at - INTERVAL 60 SECOND AND b.deleted_at + INTERVAL 60 SECOND),
        b.deleted_at
    ) AS seen_at
FROM staged_bin AS b;

CREATE OR REPLACE TEMP TABLE bin_plan AS
WITH newest AS (
    SELECT resource_type, resource_id, first_seen_at, content_hash, absent_at, absent_run_id
    FROM store.observations
    WHERE account = $account
    QUALIFY row_number() OVER (PARTITION BY resource_type, resource_id ORDER BY first_seen_at DESC) = 1
),
checkpoints AS (
    -- Runs whose listing of a type reached its last page (this run's too).
    SELECT r.observed_at, r.run_id, l.listing
    FROM store.runs AS r, (SELECT DISTINCT listing FROM staged_bin) AS l
    WHERE r.account = $account AND r.status = 'succeeded' AND r.observed_at IS NOT NULL
      AND (r.listings IS NULL
           OR coalesce(TRY_CAST(json_extract(r.listings, '$."' || l.listing || '".complete') AS BOOLEAN), false))
    UNION ALL
    SELECT CAST($observed_at AS TIMESTAMPTZ), $run_id, listing
    FROM (SELECT unnest(CAST($complete_listings AS VARCHAR[])) AS listing)
)
SELECT
    p.resource_type, p.resource_id, p.content_hash, p.doc, p.seen_at,
    n.first_seen_at AS newest_first_seen_at,
    CASE
        WHEN n.first_seen_at IS NOT NULL AND (n.absent_at IS NULL OR n.absent_at > p.seen_at)
            THEN CASE WHEN n.content_hash = p.content_hash THEN 'extend' ELSE 'split' END
        ELSE 'new'
    END AS action,
    CASE WHEN n.first_seen_at IS NOT NULL AND (n.absent_at IS NULL OR n.absent_at > p.seen_at)
         THEN n.absent_at
         ELSE (SELECT min(c.observed_at) FROM checkpoints AS c
               WHERE c.listing = p.listing AND c.observed_at > p.seen_at) END AS absent_at,
    CASE WHEN n.first_seen_at IS NOT NULL AND (n.absent_at IS NULL OR n.absent_at > p.seen_at)
         THEN n.absent_run_id
         ELSE (SELECT arg_min(c.run_id, c.observed_at) FROM checkpoints AS c
               WHERE c.listing = p.listing AND c.observed_at > p.seen_at) END AS absent_run_id
FROM bin_placed AS p
LEFT JOIN newest AS n USING (resource_type, resource_id)
WHERE p.seen_at < CAST($observed_at AS TIMESTAMPTZ)
  AND NOT EXISTS (
      SELECT 1 FROM store.observations AS o
      WHERE o.account = $account AND o.resource_type = p.resource_type
        AND o.resource_id = p.resource_id AND o.last_seen_at >= p.seen_at
  )
  AND NOT EXISTS (
      SELECT 1 FROM staged_docs AS s
      WHERE s.resource_type = p.resource_type AND s.resource_id = p.resource_id
  );

UPDATE store.observations AS o
SET last_seen_at = p.seen_at, last_run_id = $run_id
FROM bin_plan AS p
WHERE o.account = $account AND o.resource_type = p.resource_type
  AND o.resource_id = p.resource_id AND o.first_seen_at = p.newest_first_seen_at
  AND p.action = 'extend';

UPDATE store.observations AS o
SET absent_at = NULL, absent_run_id = NULL
FROM bin_plan AS p
WHERE o.account = $account AND o.resource_type = p.resource_type
  AND o.resource_id = p.resource_id AND o.first_seen_at = p.newest_first_seen_at
  AND p.action = 'split';

INSERT INTO store.observations
SELECT $account, resource_type, resource_id, seen_at, seen_at, $run_id, $run_id,
       content_hash, absent_at, absent_run_id, CAST(doc AS JSON)
FROM bin_plan
WHERE action IN ('split', 'new')
ORDER BY resource_type, resource_id;

INSERT INTO touched
SELECT resource_type, resource_id FROM bin_plan
EXCEPT
SELECT resource_type, resource_id FROM touched;

DROP TABLE bin_placed;
