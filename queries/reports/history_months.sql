-- How many audit records each UTC month holds: the monthly history pages and their parts.
SELECT strftime(time AT TIME ZONE 'UTC', '%Y-%m') AS month, count(*) AS records
FROM store.audit_records
WHERE account = $account
GROUP BY ALL
ORDER BY month
