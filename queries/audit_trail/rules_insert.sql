-- Store a rule set of $account (flowaudit/audit_trail/rules.py): business days as ISO
-- weekdays, business hours in minutes of the day, freeze windows as whole days in the
-- business time zone, api_users NULL when anyone may change through the API.
INSERT INTO store.rules
SELECT
    $account,
    CAST($set_at AS TIMESTAMPTZ),
    CAST($days AS INTEGER[]),
    CAST($start_minute AS INTEGER),
    CAST($end_minute AS INTEGER),
    $timezone,
    CAST($windows AS STRUCT(label VARCHAR, first_day DATE, last_day DATE)[]),
    CAST($api_users AS VARCHAR[]),
    CAST($integrations AS VARCHAR[]),
    CAST($types AS VARCHAR[]),
    CAST($review_hours AS DOUBLE),
    CAST($settings AS JSON);
