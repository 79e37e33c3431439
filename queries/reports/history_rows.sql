-- The audit records with $from <= time < $to (whole UTC months), oldest first, as the monthly
-- history pages show them: as they were when they were made (store.records_as_made), time as
-- ISO-8601 UTC text, each with its month, its part of the month's archive (parts of $per_page
-- records counted from the month's oldest) and its field changes as a JSON list of
-- [position, path, old_present, old, new_present, new] (old and new as JSON text).
WITH changes AS (
    SELECT c.event_id,
           to_json(list([CAST(c.position AS VARCHAR), c.field_path, CAST(c.old_present AS VARCHAR),
                         CAST(c.old_value AS VARCHAR), CAST(c.new_present AS VARCHAR), CAST(c.new_value AS VARCHAR)]
                        ORDER BY c.position)) AS changes
    FROM store.audit_field_changes AS c
    SEMI JOIN (
        SELECT event_id FROM store.audit_records
        WHERE account = $account AND time >= $from AND time < $to
    ) AS a USING (event_id)
    WHERE c.account = $account
    GROUP BY c.event_id
)
SELECT
    strftime(r.time, '%Y-%m') AS month,
    CAST((row_number() OVER (PARTITION BY strftime(r.time, '%Y-%m') ORDER BY r.time, r.event_id) - 1) // $per_page + 1
         AS INTEGER) AS part,
    r.event_id, strftime(r.time, '%Y-%m-%dT%H:%M:%SZ') AS time_text, r.resource_type, r.resource_id,
    r.resource_name, r.flow_ids, r.flow_names, r.integration, r.source, r.event, r.user_name, r.user_email,
    false AS new_since,
    c.changes
FROM store.records_as_made($account, $from, $to) AS r
LEFT JOIN changes AS c USING (event_id)
ORDER BY r.time, r.event_id
