-- One line per account for the cross-account overview: its newest run, its last successful
-- run (whether it read the whole audit log and every listing to the end), and its
-- unexplained changes: all of them, and those its last successful run found.
WITH wanted AS (
    SELECT unnest(CAST($accounts AS VARCHAR[])) AS account
),
ranked AS (
    SELECT r.*,
           row_number() OVER (PARTITION BY r.account ORDER BY r.run_id DESC) AS newest_rank,
           row_number() OVER (PARTITION BY r.account, r.status ORDER BY r.run_id DESC) AS status_rank
    FROM runs r
    WHERE r.account IN (SELECT account FROM wanted)
),
newest AS (SELECT * FROM ranked WHERE newest_rank = 1),
good AS (SELECT * FROM ranked WHERE status = 'succeeded' AND status_rank = 1),
good_before AS (SELECT account, observed_at FROM ranked WHERE status = 'succeeded' AND status_rank = 2),
unexplained AS (
    SELECT u.account,
           count(*) AS unexplained_changes,
           count(*) FILTER (WHERE b.observed_at IS NULL OR u.changed_before > b.observed_at)
               AS unexplained_found_last
    FROM unexplained_changes u
    LEFT JOIN good_before b USING (account)
    WHERE u.account IN (SELECT account FROM wanted)
    GROUP BY u.account
)
SELECT
    w.account,
    n.run_id AS last_run_id,
    n.status AS last_status,
    n.started_at AS last_started_at,
    n.error AS last_error,
    g.run_id AS success_run_id,
    g.observed_at AS success_observed_at,
    g.audit_complete AS success_audit_complete,
    -- every listing of the last successful run reached its last page
    g.listings IS NOT NULL
        AND len(list_filter(json_extract_string(g.listings, '$.*.complete'), lambda c: c IS DISTINCT FROM 'true')) = 0
        AS success_listings_complete,
    coalesce(x.unexplained_changes, 0) AS unexplained_changes,
    coalesce(x.unexplained_found_last, 0) AS unexplained_found_last
FROM wanted w
LEFT JOIN newest n USING (account)
LEFT JOIN good g USING (account)
LEFT JOIN unexplained x USING (account)
ORDER BY w.account
