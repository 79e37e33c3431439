-- Audited changes of the window [$from, $to) that the drift does not show: records that
-- changed a resource's configuration (they made a version: see version_changes) but match
-- no difference of the registered table drift_differences (changed and changed back, or
-- changes to resources outside the compared configuration). One row per record.
WITH window_changes AS (
    SELECT
        resource_type, resource_id, change, unnest(event_ids) AS event_id,
        store.path_key(field_path) AS path_key,
        field_path
    FROM version_changes
    WHERE account = $account AND label <> 'unexplained'
      AND changed_at >= $from AND changed_at < $to
),
matched AS (
    SELECT DISTINCT c.event_id
    FROM window_changes AS c
    JOIN drift_differences AS d USING (resource_type, resource_id)
    WHERE CASE
        WHEN d.path_key = '.' THEN (d.kind = 'added' AND c.change = 'created')
                                OR (d.kind = 'removed' AND c.change = 'deleted')
        ELSE c.change NOT IN ('created', 'deleted')
             AND (starts_with(d.path_key, c.path_key) OR starts_with(c.path_key, d.path_key))
    END
)
SELECT
    a.event_id, a.time, a.resource_type, a.resource_id, a.event, a.source,
    coalesce(a.user_name, a.user_email, a.user_id, '(unknown)') AS user_name,
    list_sort(list_distinct(list(c.field_path) FILTER (WHERE c.field_path IS NOT NULL))) AS field_paths
FROM window_changes AS c
JOIN store.audit_records AS a ON a.account = $account AND a.event_id = c.event_id
ANTI JOIN matched AS m ON m.event_id = c.event_id
GROUP BY ALL
ORDER BY a.time, a.event_id
