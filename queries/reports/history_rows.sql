-- The audit records with $from <= time < $to (whole UTC months), oldest first, as the monthly
-- history pages show them: as they were when they were made (store.records_as_made), time as
-- ISO-8601 UTC text, each with its month and its part of the month's archive (parts of
-- $per_page records counted from the month's oldest).
SELECT
    strftime(time, '%Y-%m') AS month,
    CAST((row_number() OVER (PARTITION BY strftime(time, '%Y-%m') ORDER BY time, event_id) - 1) // $per_page + 1
         AS INTEGER) AS part,
    event_id, strftime(time, '%Y-%m-%dT%H:%M:%SZ') AS time_text, resource_type, resource_id, resource_name,
    flow_ids, flow_names, integration, source, event, user_name, user_email,
    false AS new_since
FROM store.records_as_made($account, $from, $to)
ORDER BY time, event_id
