-- Runs left 'running' although a later run of the same account exists.
SELECT r.run_id, r.account
FROM store.runs AS r
WHERE r.status = 'running'
  AND EXISTS (SELECT 1 FROM store.runs AS n WHERE n.account = r.account AND n.run_id > r.run_id);
