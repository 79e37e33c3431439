-- Remember every connection an export's or import's versions used (attributes the
-- connection's audit records to the integrations whose flows use it).
INSERT INTO store.step_connections
SELECT DISTINCT $account, step_type, step_id, connection_id
FROM staged_step_connections AS s
WHERE NOT EXISTS (
    SELECT 1 FROM store.step_connections AS c
    WHERE c.account = $account AND c.step_type = s.step_type AND c.step_id = s.step_id
      AND c.connection_id = s.connection_id
);
