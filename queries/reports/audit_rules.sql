-- The Audit page: the account's rules in force (see the rules view).
SELECT set_at, business_hours, business_days, business_timezone, freeze_windows, api_users,
       ticket_required_integrations, ticket_required_types, emergency_review_hours
FROM rules
WHERE account = $account AND in_force;
