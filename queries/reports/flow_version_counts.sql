-- How many versions each flow of $flow_ids has: the flow pages are read in batches of about
-- the same number of versions, not of flows (a flow with a long history weighs more).
SELECT resource_id AS flow_id, count(*) AS versions
FROM store.resource_versions
WHERE account = $account AND resource_type = 'flow'
  AND resource_id IN (SELECT unnest(CAST($flow_ids AS VARCHAR[])))
GROUP BY resource_id
