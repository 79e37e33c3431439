-- Every export/import any version of a flow used (store.flow_steps: no public view lists past steps).
SELECT DISTINCT flow_id, resource_type, resource_id
FROM store.flow_steps
WHERE account = $account
ORDER BY flow_id, resource_type, resource_id
