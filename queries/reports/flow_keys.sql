-- What each flow's page shows, hashed (with the report's salt, its reuse key): the flow's
-- name, presence and integration, every version (without documents: a version's document
-- does not change), the names of every step it ever used and the versions of its steps, how many audit records it has,
-- and its newest $shown records with the flows each belongs to and their names. Sums of
-- 64-bit hashes, not text: a night computes this for every flow.
WITH directory AS (
    SELECT resource_type, resource_id, name, integration_id, present
    FROM store.resource_directory
    WHERE account = $account
),
flow_labels AS (
    SELECT f.resource_id AS flow_id, hash(f.resource_id, f.name, f.present, i.name) AS label
    FROM directory AS f
    LEFT JOIN directory AS i ON i.resource_type = 'integration' AND i.resource_id = f.integration_id
    WHERE f.resource_type = 'flow'
),
versions AS (
    SELECT resource_id AS flow_id, count(*) AS n,
           sum(hash(version, valid_from, valid_to, origin, content_hash)) AS versions
    FROM store.resource_versions
    WHERE account = $account AND resource_type = 'flow'
    GROUP BY ALL
),
steps AS (
    SELECT s.flow_id, sum(hash(s.resource_type, s.resource_id, d.name)) AS steps
    FROM store.flow_steps AS s
    LEFT JOIN directory AS d USING (resource_type, resource_id)
    WHERE s.account = $account
    GROUP BY ALL
),
touching AS (
    SELECT resource_id AS flow_id, 'flow' AS resource_type, resource_id FROM directory WHERE resource_type = 'flow'
    UNION
    SELECT flow_id, resource_type, resource_id FROM store.flow_steps WHERE account = $account
    UNION  -- what the flow or its steps refer to (scripts, ...): as flow_events.sql
    SELECT u.flow_id, a.resource_type, a.resource_id
    FROM store.attribution AS a
    CROSS JOIN unnest(a.flow_ids) AS u(flow_id)
    WHERE a.account = $account AND a.resource_type <> 'flow'
),
numbered AS (
    SELECT
        t.flow_id, a.event_id, a.resource_type, a.resource_id,
        row_number() OVER (PARTITION BY t.flow_id ORDER BY a.time DESC, a.event_id DESC) AS n,
        count(*) OVER (PARTITION BY t.flow_id) AS total
    FROM store.audit_records AS a
    JOIN touching AS t USING (resource_type, resource_id)
    WHERE a.account = $account
),
shown AS (
    -- What audit_events says of each shown record: its resource's name and its flows.
    SELECT
        n.flow_id, n.total, n.event_id, d.name AS resource_name,
        CASE WHEN n.resource_type = 'flow' THEN [n.resource_id] ELSE coalesce(attr.flow_ids, []) END AS flow_ids
    FROM numbered AS n
    LEFT JOIN directory AS d USING (resource_type, resource_id)
    LEFT JOIN store.attribution AS attr
      ON attr.account = $account AND attr.resource_type = n.resource_type AND attr.resource_id = n.resource_id
    WHERE n.n <= $shown
),
events AS (
    SELECT flow_id, max(total) AS total, sum(hash(event_id, resource_name, flow_ids)) AS events
    FROM shown
    GROUP BY ALL
),
step_versions AS (
    -- The versions of its steps and what they use: "configuration at version N" shows them.
    SELECT t.flow_id, sum(hash(r.resource_type, r.resource_id, r.version, r.valid_to, r.content_hash)) AS steps
    FROM store.resource_versions AS r
    JOIN touching AS t USING (resource_type, resource_id)
    WHERE r.account = $account AND r.resource_type <> 'flow'
    GROUP BY ALL
),
shown_flows AS (
    SELECT u.flow_id, sum(coalesce(l.label, hash(u.other))) AS flows
    FROM (SELECT DISTINCT flow_id, other FROM (SELECT flow_id, unnest(flow_ids) AS other FROM shown)) AS u
    LEFT JOIN flow_labels AS l ON l.flow_id = u.other
    GROUP BY ALL
)
SELECT
    l.flow_id,
    concat_ws('/', l.label, coalesce(v.n, 0), coalesce(v.versions, 0), coalesce(st.steps, 0),
              coalesce(e.total, 0), coalesce(e.events, 0), coalesce(sf.flows, 0), coalesce(sv.steps, 0)) AS content
FROM flow_labels AS l
LEFT JOIN versions AS v USING (flow_id)
LEFT JOIN steps AS st USING (flow_id)
LEFT JOIN events AS e USING (flow_id)
LEFT JOIN shown_flows AS sf USING (flow_id)
LEFT JOIN step_versions AS sv USING (flow_id)
