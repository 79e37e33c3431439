-- How many resources of each type the account has now (every resource of the latest
-- complete listings: what the public views of current resources show).
SELECT resource_type, count(*) AS resources
FROM store.latest_documents
WHERE account = $account
GROUP BY resource_type
