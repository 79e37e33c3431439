-- Remember every export and import a flow's versions used (attributes their audit events).
INSERT INTO store.flow_steps
SELECT DISTINCT $account, flow_id, resource_type, resource_id
FROM staged_flow_steps AS s
WHERE NOT EXISTS (
    SELECT 1 FROM store.flow_steps AS f
    WHERE f.account = $account AND f.flow_id = s.flow_id
      AND f.resource_type = s.resource_type AND f.resource_id = s.resource_id
);
