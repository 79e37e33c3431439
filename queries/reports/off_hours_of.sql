-- The audit records among $event_ids made outside business hours: the rule_violations view's
-- 'outside_business_hours' rule (the [rules] business hours, days and time zone in force).
SELECT DISTINCT event_id
FROM rule_violations
WHERE account = $account AND rule = 'outside_business_hours'
  AND event_id IN (SELECT unnest(CAST($event_ids AS VARCHAR[])))
