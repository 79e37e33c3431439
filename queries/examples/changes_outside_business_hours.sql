-- Changes made outside business hours or at the weekend, in the last $days days: one row
-- per audit record, newest first. Business hours are $day_starts:00 to $day_ends:00,
-- Monday to Friday, in the time zone $timezone (an IANA name such as 'Europe/Berlin');
-- local_time is the change's time there. Public holidays are not known.
--
-- The period [start, end) ends at the newest data: the time the last successful flowaudit
-- run read the account (runs.observed_at), or now when no run succeeded.
--
-- @param days = 30          how many days back to look
-- @param timezone = UTC     the time zone of the office
-- @param day_starts = 8     first business hour (0-23)
-- @param day_ends = 18      business hours end at this hour (1-24)
--
-- Run: flowaudit sql -f queries/examples/changes_outside_business_hours.sql -p timezone Europe/Berlin
WITH period AS (
    SELECT ends - to_days(CAST($days AS INTEGER)) AS starts, ends
    FROM (
        SELECT coalesce(max(observed_at) FILTER (WHERE status = 'succeeded'),
                        now()) AS ends
        FROM runs
    )
),
local_events AS (
    -- time is a TIMESTAMPTZ: shown as wall-clock time in $timezone.
    SELECT e.*, timezone($timezone, e.time) AS local_time
    FROM audit_events AS e
    CROSS JOIN period AS p
    WHERE e.time >= p.starts AND e.time < p.ends
)
SELECT
    time,
    local_time,
    dayname(local_time) AS weekday,
    CASE WHEN isodow(local_time) >= 6 THEN 'weekend' ELSE 'outside hours' END AS why,
    coalesce(user_name, user_email, user_id) AS person,
    source,
    event,
    resource_type,
    resource_name,
    resource_id,
    event_id
FROM local_events
WHERE isodow(local_time) >= 6
   OR hour(local_time) < CAST($day_starts AS INTEGER)
   OR hour(local_time) >= CAST($day_ends AS INTEGER)
ORDER BY time DESC, event_id;
