-- Resources whose history before their first observation is (re)built in this run: those
-- first seen now, and those that received audit records older than their first sighting.
-- `candidate_no` numbers them in resource order (the replay feed is sorted by it).
CREATE OR REPLACE TEMP TABLE replay_candidates AS
WITH first_observed AS (
    SELECT resource_type, resource_id, valid_from, first_seen_at, doc
    FROM store.resource_versions
    WHERE account = $account AND origin = 'observed'
    QUALIFY row_number() OVER (
        PARTITION BY resource_type, resource_id ORDER BY first_seen_at, valid_from
    ) = 1
)
SELECT
    row_number() OVER (ORDER BY f.resource_type, f.resource_id) AS candidate_no,
    f.*,
    store.utc_time(f.doc ->> '$.createdAt') AS created_at
FROM first_observed AS f
WHERE EXISTS (
        SELECT 1 FROM version_plan AS p
        WHERE p.first_observation
          AND p.resource_type = f.resource_type AND p.resource_id = f.resource_id
    )
   OR EXISTS (
        SELECT 1 FROM store.audit_records AS a
        WHERE a.account = $account AND a.first_run_id = $run_id
          AND a.resource_type = f.resource_type AND a.resource_id = f.resource_id
          AND a.time <= f.first_seen_at
    );
