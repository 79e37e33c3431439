-- The change-process rules of each account ([rules] in flowaudit.toml, or FLOWAUDIT_*
-- variables): one row per rule set a flowaudit command ran with, the newest in force.
-- rule_violations judges every change by the rule set in force. A run stores the settings'
-- rule set when it differs from the one in force; evidence, approvals import and drift
-- accept do so only when flowaudit.toml or the environment sets some rule.
-- @column account: The account label the run was given (--account; default 'default').
-- @column set_at: When a command first ran with this rule set (UTC).
-- @column in_force: Whether this is the account's newest rule set (the one applied).
-- @column business_hours: Business hours, 'HH:MM-HH:MM' (the end excluded), in business_timezone.
-- @column business_days: The business days ('mon' ... 'sun').
-- @column business_timezone: The time zone of business hours and freeze windows (IANA name).
-- @column freeze_windows: Periods in which no change may be made (list of {label,
--    first_day, last_day}; both days included, in business_timezone).
-- @column api_users: Who may change through the API (user ids or e-mail addresses, lower
--    case); NULL when anyone may, empty when nobody may.
-- @column ticket_required_integrations: Integrations (names or ids) whose changes always need
--    a ticket: the integration, its flows and their steps.
-- @column ticket_required_types: Resource types whose changes always need a ticket (e.g.
--    'connection').
-- @column emergency_review_hours: Within how many hours of a change made before its ticket
--    was approved the approval must come (later: the review is overdue).
CREATE OR REPLACE VIEW rules AS
SELECT
    account,
    set_at,
    row_number() OVER (PARTITION BY account ORDER BY set_at DESC) = 1 AS in_force,
    printf('%02d:%02d-%02d:%02d', business_start_minute // 60, business_start_minute % 60,
           business_end_minute // 60, business_end_minute % 60) AS business_hours,
    list_transform(business_days, lambda d: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'][d]) AS business_days,
    business_timezone,
    freeze_windows,
    api_users,
    ticket_required_integrations,
    ticket_required_types,
    emergency_review_hours
FROM store.rules;
