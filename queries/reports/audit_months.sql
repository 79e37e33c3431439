-- Months that hold audit records, with their record counts: the change-history archive pages.
SELECT strftime(time, '%Y-%m') AS month, count(*) AS records, min(time) AS first_time, max(time) AS last_time
FROM store.audit_records
WHERE account = $account
GROUP BY ALL
ORDER BY month DESC
