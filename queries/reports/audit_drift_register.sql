-- The Audit page: the drift register's open items (oldest first, with their age) and how
-- many items are in each status.
SELECT item, status, resource_type, resource_id, resource_name, field_path, change, changed_after,
       changed_before, age_days, count(*) OVER (PARTITION BY status) AS in_status
FROM drift_register
WHERE account = $account
QUALIFY status = 'open' OR row_number() OVER (PARTITION BY status ORDER BY item) = 1
ORDER BY item;
