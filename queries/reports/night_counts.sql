-- How many changes (create, update, delete, restore, purge records) were made in [$from, $to),
-- and by how many people.
SELECT count(*) AS changes, count(DISTINCT coalesce(user_id, user_email, user_name)) AS people
FROM audit_events
WHERE account = $account AND time >= $from AND time < $to
  AND event IN ('create', 'update', 'delete', 'restore', 'purge')
