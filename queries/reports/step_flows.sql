-- The flows that ever used each of the steps given as two parallel lists ($resource_types, $resource_ids).
SELECT s.resource_type, s.resource_id, list_sort(list_distinct(list(s.flow_id))) AS flow_ids
FROM store.flow_steps AS s
JOIN (
    SELECT unnest(CAST($resource_types AS VARCHAR[])) AS resource_type,
           unnest(CAST($resource_ids AS VARCHAR[])) AS resource_id
) AS wanted USING (resource_type, resource_id)
WHERE s.account = $account
GROUP BY ALL
