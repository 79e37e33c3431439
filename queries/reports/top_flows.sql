-- The flows with the most configuration changes since $from: changes of the flow itself and
-- of the exports/imports it uses (an export shared by two flows counts for both).
WITH steps AS (
    SELECT DISTINCT flow_id, resource_type, resource_id FROM store.flow_steps WHERE account = $account
), changes AS (
    SELECT event_id, resource_type, resource_id
    FROM store.audit_records
    WHERE account = $account
      AND event IN ('create', 'update', 'delete', 'restore', 'purge')
      AND time > $from AND time <= $to
), attributed AS (
    SELECT event_id, resource_id AS flow_id FROM changes WHERE resource_type = 'flow'
    UNION
    SELECT c.event_id, s.flow_id FROM changes AS c JOIN steps AS s USING (resource_type, resource_id)
)
SELECT flow_id, count(DISTINCT event_id) AS changes
FROM attributed
GROUP BY ALL
ORDER BY changes DESC, flow_id
LIMIT $limit
