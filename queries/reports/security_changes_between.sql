-- The account's security-relevant changes in [$from, $to), newest first (the public view
-- security_changes), at most $limit.
SELECT resource_type, resource_id, resource_name, changed_at, field_path, change, label,
       user_email, source, reason
FROM security_changes
WHERE account = $account AND changed_at >= $from AND changed_at < $to
ORDER BY changed_at DESC, resource_type, resource_id, field_path
LIMIT $limit
