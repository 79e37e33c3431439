-- Where the history of each resource in `touched` can be derived again from, instead of from
-- its beginning (flowaudit.load.history, "Resuming"): the start of its newest stretch seen
-- before this run ($run_id), when
-- - no audit record this run brought lies before it (a late record changes what came before),
-- - no audit record lies in that observation's uncertain zone (nothing is deferred past it),
-- - the stored version current just before it holds exactly the content seen then, is not
--   an unexplained one, and is still open at it.
-- Then what the derivation held after that observation is that stored version and that
-- content, and everything after it is derived from there. Empty unless $resume (a nightly
-- load; a migration or `verify` derives whole histories).
CREATE OR REPLACE TEMP TABLE resume_points AS
WITH stretch AS (
    SELECT
        o.resource_type, o.resource_id,
        max(o.first_seen_at) AS resume_at,
        arg_max(o.content_hash, o.first_seen_at) AS content_hash
    FROM store.observations AS o
    SEMI JOIN touched AS t USING (resource_type, resource_id)
    WHERE $resume AND o.account = $account AND o.first_run_id <> $run_id
    GROUP BY ALL
),
zone AS (  -- as load/checkpoints.sql says when each observation's listing began
    SELECT
        observed_at,
        arg_max(coalesce(least(observed_from, observed_at), observed_at), run_id) AS zone_start
    FROM store.runs
    WHERE $resume AND account = $account AND status = 'succeeded' AND observed_at IS NOT NULL
      AND run_id <> $run_id
    GROUP BY observed_at
),
current_version AS (
    SELECT s.resource_type, s.resource_id, s.resume_at, s.content_hash,
           coalesce(any_value(z.zone_start), s.resume_at) AS zone_start,
           max(v.version) AS version
    FROM stretch AS s
    JOIN store.resource_versions AS v
      ON v.account = $account AND v.resource_type = s.resource_type
     AND v.resource_id = s.resource_id AND v.valid_from < s.resume_at
    LEFT JOIN zone AS z ON z.observed_at = s.resume_at
    GROUP BY s.resource_type, s.resource_id, s.resume_at, s.content_hash
)
SELECT c.resource_type, c.resource_id, c.resume_at, c.version
FROM current_version AS c
JOIN store.resource_versions AS v
  ON v.account = $account AND v.resource_type = c.resource_type
 AND v.resource_id = c.resource_id AND v.version = c.version
WHERE (v.valid_to IS NULL OR v.valid_to >= c.resume_at)
  AND v.origin <> 'unexplained'
  AND v.content_hash = c.content_hash
  AND NOT EXISTS (
      SELECT 1 FROM store.unexplained_changes AS u
      WHERE u.account = $account AND u.resource_type = c.resource_type
        AND u.resource_id = c.resource_id AND u.version = c.version
  )
  AND NOT EXISTS (
      SELECT 1 FROM store.audit_records AS a
      WHERE a.account = $account AND a.resource_type = c.resource_type
        AND a.resource_id = c.resource_id AND a.time < c.resume_at
        AND (a.time >= c.zone_start OR a.first_run_id = $run_id)
  );
