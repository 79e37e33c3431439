-- The $limit flows with the most configuration changes in $from < time <= $to: their own and their exports'/imports' (a shared step counts for each flow).
-- (The rows of the flow_audit_events view; unnesting audit_events.flow_ids here skips the flow-name join it makes.)
SELECT u.flow_id, count(DISTINCT e.event_id) AS changes
FROM audit_events AS e, unnest(e.flow_ids) AS u(flow_id)
WHERE e.account = $account
  AND e.event IN ('create', 'update', 'delete', 'restore', 'purge')
  AND e.time > $from AND e.time <= $to
GROUP BY ALL
ORDER BY changes DESC, u.flow_id
LIMIT $limit
