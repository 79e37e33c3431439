-- The newest $shown audit records of each flow listed in $flow_ids (its own, its exports'
-- and imports': every step any version of it used, and those of the resources it or its
-- steps refer to, such as scripts: store.attribution, as audit_events), newest first, as audit_events
-- gives them (time as ISO-8601 UTC text), with `total`: how many records the flow has in all,
-- and `changes`: the record's field changes as a JSON list of [position, path, old_present,
-- old, new_present, new] (old and new as JSON text).
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
    UNION
    SELECT u.flow_id, a.resource_type, a.resource_id
    FROM store.attribution AS a
    CROSS JOIN unnest(a.flow_ids) AS u(flow_id)
    SEMI JOIN wanted AS w USING (flow_id)
    WHERE a.account = $account AND a.resource_type <> 'flow'
),
numbered AS (
    SELECT
        t.flow_id, a.event_id, a.time, a.resource_type, a.resource_id, a.source, a.event,
        a.user_id, a.user_name, a.user_email,
        row_number() OVER (PARTITION BY t.flow_id ORDER BY a.time DESC, a.event_id DESC) AS n,
        count(*) OVER (PARTITION BY t.flow_id) AS total
    FROM store.audit_records AS a
    JOIN touching AS t USING (resource_type, resource_id)
    WHERE a.account = $account
),
shown AS (
    SELECT * FROM numbered WHERE n <= $shown
),
changes AS (
    SELECT c.event_id,
           to_json(list([CAST(c.position AS VARCHAR), c.field_path, CAST(c.old_present AS VARCHAR),
                         CAST(c.old_value AS VARCHAR), CAST(c.new_present AS VARCHAR), CAST(c.new_value AS VARCHAR)]
                        ORDER BY c.position)) AS changes
    FROM store.audit_field_changes AS c
    SEMI JOIN shown AS s USING (event_id)
    WHERE c.account = $account
    GROUP BY c.event_id
)
SELECT
    s.flow_id, s.total,
    s.event_id, strftime(s.time, '%Y-%m-%dT%H:%M:%SZ') AS time, s.resource_type, s.resource_id,
    d.name AS resource_name,
    CASE WHEN s.resource_type = 'flow' THEN [s.resource_id] ELSE coalesce(attr.flow_ids, []) END AS flow_ids,
    s.source, s.event,
    coalesce(s.user_name, s.user_email, s.user_id, '(unknown)') AS user_name,
    coalesce(s.user_email, '') AS user_email,
    false AS new_since,
    c.changes
FROM shown AS s
LEFT JOIN store.resource_directory AS d
  ON d.account = $account AND d.resource_type = s.resource_type AND d.resource_id = s.resource_id
LEFT JOIN store.attribution AS attr
  ON attr.account = $account AND attr.resource_type = s.resource_type AND attr.resource_id = s.resource_id
LEFT JOIN changes AS c USING (event_id)
ORDER BY s.flow_id, s.n
