-- The configuration each create in $event_ids made (its resource's version of that record, or
-- the first one after it) and the last one known before each delete (document as JSON text):
-- a change table shows them where a create or delete records no field changes.
WITH wanted AS (
    SELECT event_id, event, resource_type, resource_id, time
    FROM audit_events
    WHERE account = $account AND event IN ('create', 'delete')
      AND event_id IN (SELECT unnest(CAST($event_ids AS VARCHAR[])))
)
SELECT w.event_id, w.event,
       CASE WHEN w.event = 'create'
            THEN CAST(arg_min(v.doc, v.version) FILTER (WHERE v.event_id = w.event_id OR v.valid_from >= w.time) AS VARCHAR)
            ELSE CAST(arg_max(v.doc, v.version) FILTER (WHERE v.valid_from <= w.time) AS VARCHAR)
       END AS doc
FROM wanted AS w
JOIN resource_versions AS v
  ON v.account = $account AND v.resource_type = w.resource_type AND v.resource_id = w.resource_id
 AND v.doc IS NOT NULL
GROUP BY w.event_id, w.event
