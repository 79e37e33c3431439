-- What each monthly history part shows, hashed (with the report's salt, its reuse key): its
-- records (each with its resource's name and the flows it belongs to) and the names of those
-- flows and their integrations. Parts of $per_page records, counted from the month's oldest.
-- Sums of 64-bit hashes, not text: a night computes this for every part of the history.
WITH directory AS (
    SELECT resource_type, resource_id, name, integration_id
    FROM store.resource_directory
    WHERE account = $account
),
flow_labels AS (
    SELECT f.resource_id AS flow_id, hash(f.resource_id, f.name, i.name) AS label
    FROM directory AS f
    LEFT JOIN directory AS i ON i.resource_type = 'integration' AND i.resource_id = f.integration_id
    WHERE f.resource_type = 'flow'
),
events AS (
    SELECT
        strftime(time, '%Y-%m') AS month,
        CAST((row_number() OVER (PARTITION BY strftime(time, '%Y-%m') ORDER BY time, event_id) - 1) // $per_page + 1
             AS INTEGER) AS part,
        hash(event_id, resource_name, flow_ids) AS record,
        flow_ids
    FROM audit_events
    WHERE account = $account
),
records AS (
    SELECT month, part, count(*) AS n, sum(record) AS records
    FROM events
    GROUP BY ALL
),
flows AS (
    SELECT u.month, u.part, sum(coalesce(l.label, hash(u.flow_id))) AS flows
    FROM (SELECT DISTINCT month, part, flow_id FROM (SELECT month, part, unnest(flow_ids) AS flow_id FROM events)) AS u
    LEFT JOIN flow_labels AS l USING (flow_id)
    GROUP BY ALL
)
SELECT r.month, r.part, concat_ws('/', r.n, r.records, coalesce(f.flows, 0)) AS content
FROM records AS r
LEFT JOIN flows AS f USING (month, part)
