-- The newest $shown audit records of each flow listed in $flow_ids (its own and its
-- exports' and imports': every step any version of it used), newest first, as a change
-- table shows them (time as ISO-8601 UTC text), with `total`: how many records the flow has in all.
WITH wanted AS (
    SELECT unnest(CAST($flow_ids AS VARCHAR[])) AS flow_id
),
touching AS (
    SELECT flow_id, 'flow' AS resource_type, flow_id AS resource_id FROM wanted
    UNION
    SELECT s.flow_id, s.resource_type, s.resource_id
    FROM store.flow_steps AS s
    SEMI JOIN wanted AS w USING (flow_id)
    WHERE s.account = $account
),
numbered AS (
    SELECT
        t.flow_id, a.event_id,
        row_number() OVER (PARTITION BY t.flow_id ORDER BY a.time DESC, a.event_id DESC) AS n,
        count(*) OVER (PARTITION BY t.flow_id) AS total
    FROM store.audit_records AS a
    JOIN touching AS t USING (resource_type, resource_id)
    WHERE a.account = $account
)
SELECT
    n.flow_id, n.total,
    e.event_id, strftime(e.time, '%Y-%m-%dT%H:%M:%SZ') AS time, e.resource_type, e.resource_id,
    e.resource_name, e.flow_ids, e.source, e.event,
    coalesce(e.user_name, e.user_email, e.user_id, '(unknown)') AS user_name,
    coalesce(e.user_email, '') AS user_email,
    false AS new_since
FROM numbered AS n
JOIN audit_events AS e ON e.account = $account AND e.event_id = n.event_id
WHERE n.n <= $shown
ORDER BY n.flow_id, n.n
