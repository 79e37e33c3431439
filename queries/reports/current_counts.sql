-- How many resources of each type the account has now (the public views of current resources).
SELECT 'integration' AS resource_type, count(*) AS resources FROM integrations WHERE account = $account
UNION ALL SELECT 'flow', count(*) FROM flows WHERE account = $account
UNION ALL SELECT 'export', count(*) FROM exports WHERE account = $account
UNION ALL SELECT 'import', count(*) FROM imports WHERE account = $account
UNION ALL SELECT 'connection', count(*) FROM connections WHERE account = $account
