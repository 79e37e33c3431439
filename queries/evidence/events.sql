-- events: one row per audit record of account $account in the period [$from, $to) (UTC
-- unless the time carries an offset), creates and deletes included: when (UTC, with a Z),
-- what (resource type, id, its name at the time and now), where (integration, flows), who
-- (user id, name, e-mail; source ui/api/...), the change request linked to it (see
-- change_approvals) and the change-process rules it broke (see rule_violations).
WITH events AS (
    SELECT *
    FROM events_between(CAST($from AS TIMESTAMPTZ), CAST($to AS TIMESTAMPTZ))
    WHERE account = $account
),
names AS (
    SELECT resource_type, resource_id, arg_max(name, version) AS name
    FROM resource_versions
    WHERE account = $account AND name IS NOT NULL
    GROUP BY ALL
),
names_then AS (
    -- The name of the version the record started; for a delete, of the version it ended;
    -- else of the version valid at its time.
    SELECT e.event_id,
           arg_min(v.name, CASE WHEN v.event_id = e.event_id THEN 0
                                WHEN v.deleted AND v.valid_to = e.time THEN 1 ELSE 2 END) AS name
    FROM events AS e
    JOIN resource_versions AS v
      ON v.account = e.account AND v.resource_type = e.resource_type AND v.resource_id = e.resource_id
     AND (v.event_id = e.event_id
          OR (v.deleted AND v.valid_to = e.time)
          OR (v.valid_from <= e.time AND (v.valid_to IS NULL OR e.time < v.valid_to)))
    WHERE v.name IS NOT NULL
    GROUP BY e.event_id
),
flows AS (
    SELECT e.event_id, list(coalesce(n.name, f.flow_id) ORDER BY f.flow_id) AS flow_names
    FROM events AS e, unnest(e.flow_ids) AS f(flow_id)
    LEFT JOIN names AS n ON n.resource_type = 'flow' AND n.resource_id = f.flow_id
    GROUP BY e.event_id
),
violations AS (
    SELECT event_id, list_sort(list(DISTINCT rule)) AS rules
    FROM rule_violations
    WHERE account = $account AND time >= CAST($from AS TIMESTAMPTZ) AND time < CAST($to AS TIMESTAMPTZ)
    GROUP BY event_id
),
approvals AS (
    SELECT event_id, state, ticket
    FROM change_approvals
    WHERE account = $account AND time >= CAST($from AS TIMESTAMPTZ) AND time < CAST($to AS TIMESTAMPTZ)
)
SELECT
    store.utc_text(e.time) AS time,
    e.event_id,
    e.resource_type,
    e.resource_id,
    coalesce(t.name, e.resource_name) AS resource_name,
    e.resource_name AS resource_name_now,
    e.integration_id,
    i.name AS integration_name,
    e.flow_ids,
    coalesce(f.flow_names, []) AS flow_names,
    e.event,
    e.source,
    e.user_id,
    e.user_name,
    e.user_email,
    e.field_change_count,
    a.ticket AS change_request,
    a.state AS approval,
    coalesce(v.rules, []) AS rule_violations,
    e.run_id
FROM events AS e
LEFT JOIN names_then AS t USING (event_id)
LEFT JOIN names AS i ON i.resource_type = 'integration' AND i.resource_id = e.integration_id
LEFT JOIN flows AS f USING (event_id)
LEFT JOIN violations AS v USING (event_id)
LEFT JOIN approvals AS a USING (event_id)
ORDER BY e.time, e.event_id;
