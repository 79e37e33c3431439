-- What each monthly history part shows, hashed (with the report's salt, its reuse key): its
-- records as they were when they were made (store.records_as_made: names, flows and
-- integrations then). Parts of $per_page records, counted from the month's oldest. Sums of
-- 64-bit hashes, not text: a night computes this for every part of the history.
SELECT month, part,
       concat_ws('/', count(*), sum(hash(event_id, resource_name, flow_ids, flow_names, integration))) AS content
FROM (
    SELECT
        strftime(time, '%Y-%m') AS month,
        CAST((row_number() OVER (PARTITION BY strftime(time, '%Y-%m') ORDER BY time, event_id) - 1) // $per_page + 1
             AS INTEGER) AS part,
        event_id, resource_name, flow_ids, flow_names, integration
    FROM store.records_as_made($account, NULL, NULL)
)
GROUP BY ALL
