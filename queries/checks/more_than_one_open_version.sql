-- Resources with more than one open (current) version.
SELECT account, resource_type, resource_id, count(*) AS open_versions
FROM store.resource_versions
WHERE valid_to IS NULL
GROUP BY ALL
HAVING count(*) > 1;
