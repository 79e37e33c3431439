-- The Audit page: the rule violations of changes made since $since (all when NULL), newest
-- first, with how many there are of each rule (in_rule).
SELECT time, local_time, event_id, resource_type, resource_id, resource_name, user_email, source, rule, detail,
       count(*) OVER (PARTITION BY rule) AS in_rule
FROM rule_violations
WHERE account = $account AND ($since IS NULL OR time >= CAST($since AS TIMESTAMPTZ))
ORDER BY time DESC, event_id, rule
LIMIT $limit;
