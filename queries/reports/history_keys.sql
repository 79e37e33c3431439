-- What each monthly history part shows, hashed (with the report's salt, its reuse key): its
-- records as they were when they were made, as store.records_as_made gives them (the
-- resource's name then; the flows that existed then and used it, with their names and
-- integrations then). Parts of $per_page records, counted from the month's oldest. Sums of
-- 64-bit hashes over the same joins, without building the lists the pages print: a night
-- computes this for every part of the history.
WITH records AS (
    SELECT
        event_id, time, resource_type, resource_id, deleted_name,
        strftime(time, '%Y-%m') AS month,
        CAST((row_number() OVER (PARTITION BY strftime(time, '%Y-%m') ORDER BY time, event_id) - 1) // $per_page + 1
             AS INTEGER) AS part
    FROM store.audit_records
    WHERE account = $account
),
named AS (
    SELECT r.month, r.part, hash(r.event_id, coalesce(v.name, r.deleted_name)) AS record
    FROM records AS r
    ASOF LEFT JOIN (
        SELECT resource_type, resource_id, valid_from, name
        FROM store.resource_versions
        WHERE account = $account
    ) AS v
      ON v.resource_type = r.resource_type AND v.resource_id = r.resource_id AND v.valid_from <= r.time
),
pairs AS (
    SELECT event_id, time, month, part, resource_id AS flow_id, true AS own
    FROM records
    WHERE resource_type = 'flow'
    UNION ALL
    SELECT r.event_id, r.time, r.month, r.part, s.flow_id, false
    FROM records AS r
    JOIN store.flow_steps AS s
      ON s.account = $account AND s.resource_type = r.resource_type AND s.resource_id = r.resource_id
),
flows_then AS (
    SELECT p.event_id, p.time, p.month, p.part, p.flow_id, v.name, v.integration_id
    FROM pairs AS p
    ASOF LEFT JOIN (
        SELECT resource_id AS flow_id, valid_from, valid_to, name, integration_id
        FROM store.resource_versions
        WHERE account = $account AND resource_type = 'flow'
    ) AS v
      ON v.flow_id = p.flow_id AND v.valid_from <= p.time
    WHERE p.own OR (v.valid_from IS NOT NULL AND (v.valid_to IS NULL OR v.valid_to > p.time))
),
flows AS (
    SELECT f.month, f.part, hash(f.event_id, f.flow_id, f.name, f.integration_id, i.name) AS flow
    FROM flows_then AS f
    ASOF LEFT JOIN (
        SELECT resource_id AS integration_id, valid_from, name
        FROM store.resource_versions
        WHERE account = $account AND resource_type = 'integration'
    ) AS i
      ON i.integration_id = f.integration_id AND i.valid_from <= f.time
),
record_sums AS (
    SELECT month, part, count(*) AS n, sum(record) AS records FROM named GROUP BY ALL
),
flow_sums AS (
    SELECT month, part, count(*) AS n, sum(flow) AS flows FROM flows GROUP BY ALL
)
SELECT r.month, r.part, concat_ws('/', r.n, r.records, coalesce(f.n, 0), coalesce(f.flows, 0)) AS content
FROM record_sums AS r
LEFT JOIN flow_sums AS f USING (month, part)
