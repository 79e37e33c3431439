-- rules: the change-process rules of account $account in force when the evidence was
-- written, by which rule_violations judged every change (see the rules view); none when no
-- command stored rules yet.
SELECT
    store.utc_text(set_at) AS set_at,
    business_hours,
    business_days,
    business_timezone,
    list_transform(freeze_windows, lambda w: {'label': w.label, 'first_day': strftime(w.first_day, '%Y-%m-%d'),
                                              'last_day': strftime(w.last_day, '%Y-%m-%d')}) AS freeze_windows,
    api_users,
    ticket_required_integrations,
    ticket_required_types,
    emergency_review_hours
FROM rules
WHERE account = $account AND in_force;
