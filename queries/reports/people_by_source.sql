-- The $limit people with the most configuration changes in $from < time <= $to, each
-- person's changes split by where they were made: the UI, the API, anything else.
SELECT coalesce(user_name, user_email, user_id, '(unknown)') AS person,
       count(*) FILTER (WHERE source = 'ui') AS ui,
       count(*) FILTER (WHERE source = 'api') AS api,
       count(*) FILTER (WHERE source IS NULL OR source NOT IN ('ui', 'api')) AS other
FROM audit_events
WHERE account = $account
  AND event IN ('create', 'update', 'delete', 'restore', 'purge')
  AND time > $from AND time <= $to
GROUP BY ALL
ORDER BY ui + api + other DESC, person
LIMIT $limit
