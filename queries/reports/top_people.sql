-- The $limit people with the most configuration changes in $from < time <= $to.
SELECT coalesce(user_name, user_email, user_id, '(unknown)') AS person, count(*) AS changes
FROM audit_events
WHERE account = $account
  AND event IN ('create', 'update', 'delete', 'restore', 'purge')
  AND time > $from AND time <= $to
GROUP BY ALL
ORDER BY changes DESC, person
LIMIT $limit
