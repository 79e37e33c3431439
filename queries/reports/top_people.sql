-- The people with the most configuration changes since $from.
SELECT coalesce(user_name, user_email, user_id, '(unknown)') AS person, count(*) AS changes
FROM store.audit_records
WHERE account = $account
  AND event IN ('create', 'update', 'delete', 'restore', 'purge')
  AND time > $from AND time <= $to
GROUP BY ALL
ORDER BY changes DESC, person
LIMIT $limit
