-- Resources with more than one latest document.
SELECT account, resource_type, resource_id, count(*) AS copies
FROM store.latest_documents
GROUP BY ALL
HAVING count(*) > 1;
