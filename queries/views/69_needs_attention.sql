-- What needs a person's attention among the changes of a period [ts_from, ts_to): changes no
-- audit record explains, security-relevant changes (security_changes: users, API tokens,
-- scripts, connection credentials), flows disabled or enabled, schedule changes, changes made
-- outside business hours (rule_violations, rule 'outside_business_hours', by the [rules]
-- settings in force) and changes made through the API. One row per item, the most important
-- kinds first; the overview's "Needs attention" block and the digest list these for the
-- period since the previous run.
-- Example: SELECT * FROM needs_attention(TIMESTAMPTZ '2026-11-29 02:00Z', TIMESTAMPTZ '2026-11-30 02:00Z').
-- @param ts_from: Start of the period (TIMESTAMPTZ), included.
-- @param ts_to: End of the period (TIMESTAMPTZ), excluded.
-- @column account: The account label the run was given (--account; default 'default').
-- @column kind: 'unexplained' (no audit record explains it), 'security' (an explained change
--    to a user, an API token, a script or a connection's credentials), 'disabled' or
--    'enabled' (a flow switched off or on), 'schedule' (a flow's schedule or its time zone
--    changed), 'off_hours' (a change made outside business hours), 'api' (a change made
--    through the API).
-- @column priority: 1 for the kinds to look at first ('unexplained'), 2 for 'security',
--    'disabled' and 'enabled', 3 for 'schedule', 4 for 'off_hours' and 'api'.
-- @column resource_type: What changed ('flow', 'export', ...).
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: Its name in the version the change made.
-- @column field_path: The field that changed; NULL for a whole resource or a record.
-- @column old_value: The value before (JSON); NULL when not a single field's change.
-- @column new_value: The value after (JSON); NULL when not a single field's change.
-- @column changed_at: When it took effect (UTC).
-- @column person: Who made it (the record's user name, else e-mail); NULL when unexplained.
-- @column source: Where it came from ('ui', 'api', 'system', ...); NULL when unexplained.
-- @column event_id: The audit record (NULL when unexplained).
-- @column changed_after: For an unexplained change: the last observation before it.
-- @column changed_before: For an unexplained change: the time by which it had happened.
-- @column detail: Why it needs attention, in words, when the kind alone does not say it (the
--    security reason; the local time and the business hours); NULL otherwise.
CREATE OR REPLACE MACRO needs_attention(ts_from, ts_to) AS TABLE
-- The period is compared with the parameters themselves, not through a one-row CTE joined
-- to every view: DuckDB then pushes it into the views' scans (2.5x faster on a night).
WITH changes AS (
    SELECT c.*
    FROM version_changes AS c
    WHERE c.changed_at >= CAST(ts_from AS TIMESTAMPTZ) AND c.changed_at < CAST(ts_to AS TIMESTAMPTZ)
),
items AS (
    SELECT account, 'unexplained' AS kind, 1 AS priority, resource_type, resource_id, resource_name,
           field_path, old_value, new_value, changed_at, NULL AS person, NULL AS source,
           NULL AS event_id, changed_after, changed_before, NULL AS detail
    FROM changes
    WHERE label = 'unexplained'
    UNION ALL
    -- An unexplained one is listed as such above, once.
    SELECT s.account, 'security', 2, s.resource_type, s.resource_id, s.resource_name, s.field_path,
           s.old_value, s.new_value, s.changed_at, coalesce(a.user_name, a.user_email, s.user_email),
           s.source, s.event_ids[1], NULL, NULL, s.reason
    FROM security_changes AS s
    LEFT JOIN store.audit_records AS a ON a.account = s.account AND a.event_id = s.event_ids[1]
    WHERE s.changed_at >= CAST(ts_from AS TIMESTAMPTZ) AND s.changed_at < CAST(ts_to AS TIMESTAMPTZ)
      AND s.label <> 'unexplained'
    UNION ALL
    SELECT c.account, CASE WHEN c.new_value ->> '$' = 'true' THEN 'disabled' ELSE 'enabled' END, 2,
           c.resource_type, c.resource_id, c.resource_name, c.field_path, c.old_value, c.new_value,
           c.changed_at, coalesce(a.user_name, a.user_email), c.source, c.event_ids[1], NULL, NULL, NULL
    FROM changes AS c
    LEFT JOIN store.audit_records AS a ON a.account = c.account AND a.event_id = c.event_ids[1]
    WHERE c.label <> 'unexplained' AND c.resource_type = 'flow' AND c.field_path = 'disabled'
    UNION ALL
    SELECT c.account, 'schedule', 3, c.resource_type, c.resource_id, c.resource_name, c.field_path,
           c.old_value, c.new_value, c.changed_at, coalesce(a.user_name, a.user_email), c.source,
           c.event_ids[1], NULL, NULL, NULL
    FROM changes AS c
    LEFT JOIN store.audit_records AS a ON a.account = c.account AND a.event_id = c.event_ids[1]
    WHERE c.label <> 'unexplained' AND c.resource_type = 'flow' AND c.field_path IN ('schedule', 'timezone')
    UNION ALL
    SELECT v.account, 'off_hours', 4, v.resource_type, v.resource_id, v.resource_name, NULL, NULL, NULL,
           v.time, coalesce(a.user_name, a.user_email, v.user_email), v.source, v.event_id, NULL, NULL,
           v.detail
    FROM rule_violations AS v
    LEFT JOIN store.audit_records AS a ON a.account = v.account AND a.event_id = v.event_id
    WHERE v.time >= CAST(ts_from AS TIMESTAMPTZ) AND v.time < CAST(ts_to AS TIMESTAMPTZ)
      AND v.rule = 'outside_business_hours'
    UNION ALL
    SELECT e.account, 'api', 4, e.resource_type, e.resource_id, e.resource_name, NULL, NULL, NULL,
           e.time, coalesce(e.user_name, e.user_email), e.source, e.event_id, NULL, NULL, NULL
    FROM audit_events AS e
    WHERE e.time >= CAST(ts_from AS TIMESTAMPTZ) AND e.time < CAST(ts_to AS TIMESTAMPTZ) AND e.source = 'api'
      AND e.event IN ('create', 'update', 'delete', 'restore', 'purge')
)
SELECT account, kind, priority, resource_type, resource_id, resource_name, field_path,
       old_value, new_value, changed_at, person, source, event_id, changed_after, changed_before,
       detail
FROM items
ORDER BY account, priority, kind, changed_at, resource_type, resource_id, field_path;
