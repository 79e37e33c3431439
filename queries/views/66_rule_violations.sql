-- Every way a change broke the change-process rules in force (see rules), one row per
-- change and rule; changes by integrator.io itself (source 'system') are not judged. Rules:
-- 'outside_business_hours' (made on a day or at an hour outside business hours, in the
-- business time zone), 'freeze_window' (made inside a freeze window), 'api_not_allowed'
-- (made through the API by someone not in api_users), 'ticket_missing' (the rules require a
-- ticket and none covers it), 'self_approved' (approved only by the person who made it),
-- 'review_overdue' (approved after the change, later than emergency_review_hours).
-- @column account: The account label the run was given (--account; default 'default').
-- @column event_id: The audit record of the change.
-- @column time: When the change was made (UTC).
-- @column local_time: The same moment in the business time zone (wall-clock time).
-- @column resource_type: What changed ('flow', 'export', ...).
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: Its name (see audit_events.resource_name).
-- @column user_id: Who made the change (byUser._id).
-- @column user_email: That person's e-mail address.
-- @column source: Where the change came from ('ui', 'api', ...).
-- @column rule: Which rule it broke (see above).
-- @column detail: The rule and the change's part in it, in words.
CREATE OR REPLACE VIEW rule_violations AS
WITH in_force AS (
    SELECT * FROM store.rules
    QUALIFY row_number() OVER (PARTITION BY account ORDER BY set_at DESC) = 1
),
judged AS (
    SELECT
        c.*,
        timezone(r.business_timezone, c.time) AS local_time,
        r.business_timezone, r.business_days, r.business_start_minute, r.business_end_minute,
        r.freeze_windows, r.api_users, r.emergency_review_hours
    FROM change_approvals AS c
    LEFT JOIN in_force AS r USING (account)
),
hours AS (
    SELECT *,
        printf('%02d:%02d-%02d:%02d', business_start_minute // 60, business_start_minute % 60,
               business_end_minute // 60, business_end_minute % 60) AS business_hours,
        array_to_string(list_transform(business_days,
            lambda d: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][d]), ', ') AS day_names,
        list_filter(freeze_windows,
            lambda w: CAST(local_time AS DATE) BETWEEN w.first_day AND w.last_day) AS freezes
    FROM judged
),
violations AS (
    SELECT *, 'outside_business_hours' AS rule,
        strftime(local_time, '%A %H:%M') || ' in ' || business_timezone || ' (business hours: '
        || day_names || ' ' || business_hours || ')' AS detail
    FROM hours
    WHERE local_time IS NOT NULL
      AND (NOT list_contains(business_days, isodow(local_time))
           OR hour(local_time) * 60 + minute(local_time) < business_start_minute
           OR hour(local_time) * 60 + minute(local_time) >= business_end_minute)
    UNION ALL
    SELECT *, 'freeze_window',
        'inside the freeze window ' || freezes[1].label || ' (' || strftime(freezes[1].first_day, '%Y-%m-%d')
        || ' to ' || strftime(freezes[1].last_day, '%Y-%m-%d') || ', ' || business_timezone || ')'
    FROM hours
    WHERE len(freezes) > 0
    UNION ALL
    SELECT *, 'api_not_allowed',
        'changed through the API by ' || coalesce(user_email, user_id, 'an unknown user')
        || CASE WHEN len(api_users) = 0 THEN ' (nobody may change through the API)'
                ELSE ' (only ' || array_to_string(api_users, ', ') || ' may)' END
    FROM hours
    WHERE source = 'api' AND api_users IS NOT NULL
      AND NOT coalesce(list_contains(api_users, lower(user_email)) OR list_contains(api_users, lower(user_id)), false)
    UNION ALL
    SELECT *, 'ticket_missing', 'the rules require a ticket for this change and none covers it'
    FROM hours
    WHERE ticket_required AND state = 'no ticket'
    UNION ALL
    SELECT *, 'self_approved', 'ticket ' || ticket || ' was approved by the person who made the change (' || approver || ')'
    FROM hours
    WHERE state = 'self-approved'
    UNION ALL
    SELECT *, 'review_overdue',
        'emergency change: ticket ' || ticket || ' approved ' || strftime(timezone('UTC', approved_at), '%Y-%m-%d %H:%M')
        || ' UTC, due by ' || strftime(timezone('UTC', review_due_at), '%Y-%m-%d %H:%M') || ' UTC'
    FROM hours
    WHERE overdue
)
SELECT account, event_id, time, local_time, resource_type, resource_id, resource_name, user_id,
       user_email, source, rule, detail
FROM violations;
