-- Take the content hashes of every observation of $account again (the registered table
-- `rehashed`, hashed by the loader under the current volatile fields), and join stretches
-- that now hold the same content one after the other with nothing gone in between.
-- Rare (a migration, a changed volatile_fields setting): the account's rows are rewritten.
CREATE OR REPLACE TEMP TABLE joined_observations AS
WITH hashed AS (
    SELECT o.* REPLACE (coalesce(r.content_hash, o.content_hash) AS content_hash)
    FROM store.observations AS o
    LEFT JOIN rehashed AS r
      ON r.resource_type = o.resource_type AND r.resource_id = o.resource_id
     AND r.first_seen_at = o.first_seen_at
    WHERE o.account = $account
),
marked AS (
    SELECT *,
        coalesce(
            lag(content_hash) OVER w IS DISTINCT FROM content_hash OR lag(absent_at) OVER w IS NOT NULL,
            true
        ) AS starts
    FROM hashed
    WINDOW w AS (PARTITION BY resource_type, resource_id ORDER BY first_seen_at)
),
grouped AS (
    SELECT *, sum(CASE WHEN starts THEN 1 ELSE 0 END) OVER (
        PARTITION BY resource_type, resource_id ORDER BY first_seen_at
    ) AS stretch
    FROM marked
)
SELECT
    account, resource_type, resource_id,
    min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at,
    arg_min(first_run_id, first_seen_at) AS first_run_id, arg_max(last_run_id, first_seen_at) AS last_run_id,
    arg_min(content_hash, first_seen_at) AS content_hash,
    arg_max(absent_at, first_seen_at) AS absent_at, arg_max(absent_run_id, first_seen_at) AS absent_run_id,
    arg_min(doc, first_seen_at) AS doc
FROM grouped
GROUP BY account, resource_type, resource_id, stretch;

DELETE FROM store.observations WHERE account = $account;

INSERT INTO store.observations
SELECT * FROM joined_observations ORDER BY resource_type, resource_id, first_seen_at;

DROP TABLE joined_observations;
