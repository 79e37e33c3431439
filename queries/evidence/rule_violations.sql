-- rule_violations: every way a change of account $account made in the period [$from, $to)
-- broke the change-process rules in force (see the rules view and rules.json): one row per
-- change and rule, with the moment in the business time zone and the rule in words.
SELECT
    store.utc_text(time) AS time,
    strftime(local_time, '%Y-%m-%d %H:%M:%S') AS local_time,
    event_id,
    resource_type,
    resource_id,
    resource_name,
    user_id,
    user_email,
    source,
    rule,
    detail
FROM rule_violations
WHERE account = $account
  AND time >= CAST($from AS TIMESTAMPTZ) AND time < CAST($to AS TIMESTAMPTZ)
ORDER BY time, event_id, rule;
