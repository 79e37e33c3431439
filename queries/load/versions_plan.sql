-- What each listed document means for its resource's history: unchanged (the same text as
-- last time, or the same content hash), changed, new, or back after a deletion; and from
-- when its new version holds (`new_valid_from`): the latest audit record of the resource
-- since it was last seen, else for a resource seen for the first time its createdAt, else
-- the observation time.
CREATE OR REPLACE TEMP TABLE version_plan AS
WITH newest AS (
    -- Observed versions only: reconstructed ones all lie before the first observation.
    SELECT resource_type, resource_id, valid_from, valid_to, content_hash, last_seen_at
    FROM store.resource_versions
    WHERE account = $account AND origin = 'observed'
    QUALIFY row_number() OVER (
        PARTITION BY resource_type, resource_id ORDER BY valid_from DESC, origin
    ) = 1
),
joined AS (
    SELECT
        s.resource_type,
        s.resource_id,
        h.content_hash,
        s.doc,
        s.created_at,
        n.resource_id IS NULL AS first_observation,
        n.resource_id IS NOT NULL AND n.valid_to IS NULL AS has_open,
        coalesce(
            n.valid_to IS NULL AND (s.raw_unchanged OR n.content_hash = h.content_hash), false
        ) AS unchanged,
        n.valid_from AS newest_valid_from,
        n.valid_to AS newest_valid_to,
        n.last_seen_at AS previous_seen_at
    FROM staged_docs AS s
    LEFT JOIN staged_hashes AS h USING (resource_type, resource_id)
    LEFT JOIN newest AS n USING (resource_type, resource_id)
),
explained AS (
    SELECT j.resource_type, j.resource_id, max(a.time) AS explained_at
    FROM joined AS j
    JOIN store.audit_records AS a
      ON a.account = $account
     AND a.resource_type = j.resource_type
     AND a.resource_id = j.resource_id
     AND a.time > coalesce(j.previous_seen_at, '-infinity'::TIMESTAMP)
     AND a.time <= $observed_at
    WHERE NOT j.unchanged
    GROUP BY ALL
)
SELECT
    j.*,
    e.explained_at,
    CASE
        WHEN j.unchanged THEN NULL
        WHEN j.first_observation THEN coalesce(
            e.explained_at,
            CASE WHEN j.created_at <= $observed_at THEN j.created_at END,
            $observed_at
        )
        WHEN j.has_open THEN
            CASE WHEN e.explained_at > j.newest_valid_from THEN e.explained_at ELSE $observed_at END
        ELSE
            CASE WHEN e.explained_at > j.newest_valid_to THEN e.explained_at ELSE $observed_at END
    END AS new_valid_from
FROM joined AS j
LEFT JOIN explained AS e USING (resource_type, resource_id);
