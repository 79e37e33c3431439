-- Each drift difference (the registered table drift_differences: diff_id, resource_type,
-- resource_id, path_key, kind) reconciled through version_changes, the one reconciliation:
-- the changes of its resource in the window [$from, $to) between the two configurations
-- (each the configuration a run observing at that moment saw: every change made before it)
-- whose field is the difference's path, a parent or a child of it (path keys:
-- dotted keys without list selectors, ending in a dot), or its creation or deletion for an
-- added or removed resource. The label: 'unexplained' when no change accounts for it or the
-- latest one that does is unexplained; else 'explained' when a person's record does; else
-- 'system'. Also the explaining audit records.
WITH window_changes AS (
    SELECT
        resource_type, resource_id, change, label, event_ids, source,
        changed_at AS happened_at,
        store.path_key(field_path) AS path_key
    FROM version_changes
    WHERE account = $account
      AND changed_at >= $from AND changed_at < $to
),
matches AS (
    SELECT d.diff_id, c.label, c.event_ids, c.happened_at, c.source
    FROM drift_differences AS d
    JOIN window_changes AS c USING (resource_type, resource_id)
    WHERE CASE
        WHEN d.path_key = '.' THEN (d.kind = 'added' AND c.change = 'created')
                                OR (d.kind = 'removed' AND c.change = 'deleted')
        ELSE c.change NOT IN ('created', 'deleted')
             AND (starts_with(d.path_key, c.path_key) OR starts_with(c.path_key, d.path_key))
    END
),
summary AS (
    SELECT
        diff_id,
        arg_max(label, happened_at) AS latest_label,
        bool_or(label = 'explained') AS by_person,
        list_sort(list_distinct(flatten(list(event_ids)))) AS evidence
    FROM matches
    GROUP BY diff_id
)
SELECT
    d.diff_id,
    CASE
        WHEN s.diff_id IS NULL OR s.latest_label = 'unexplained' THEN 'unexplained'
        WHEN s.by_person THEN 'explained'
        ELSE 'system'
    END AS label,
    coalesce(s.evidence, []) AS evidence
FROM drift_differences AS d
LEFT JOIN summary AS s USING (diff_id)
ORDER BY d.diff_id
