-- One row per difference between consecutive versions of any resource, each reconciled
-- with the audit log: 'explained' (the audit record that started the version made it,
-- through the UI, the API or a connector), 'system' (integrator.io itself made it: source
-- 'system'), or 'unexplained' (no audit record explains it: it happened between two
-- observations, changed_after and changed_before). Besides field changes, a resource's
-- creation and deletion are rows of their own (field_path NULL). Volatile fields never
-- appear. This is the one reconciliation: the drift report reads it too.
-- @column account: The account label the run was given (--account; default 'default').
-- @column resource_type: What changed ('flow', 'export', ...).
-- @column resource_id: The id of the resource that changed.
-- @column resource_name: The resource's name in the version the change made (for a
--    deletion: in the version it ended).
-- @column version: The version the change made (for a deletion: the version it ended).
-- @column changed_at: When the change took effect (UTC): the version's start (for a
--    deletion, its end).
-- @column field_path: The changed field (dotted path, as the audit log names it); NULL when
--    the whole resource was created or deleted.
-- @column change: 'modified', 'added' (the field was newly set), 'removed', 'created' or
--    'deleted'.
-- @column old_value: The value before (JSON); NULL when the field had none.
-- @column new_value: The value after (JSON); NULL when the field was removed.
-- @column label: 'explained', 'system' or 'unexplained'.
-- @column event_ids: The audit records that explain the change (empty when unexplained).
-- @column user_email: Who made it (the explaining record's byUser.email).
-- @column source: Where it came from, lower case ('ui', 'api', 'system', ...).
-- @column changed_after: For an unexplained change: the last observation before it (UTC).
-- @column changed_before: For an unexplained change: the time by which it had happened (UTC).
CREATE OR REPLACE VIEW version_changes AS
WITH audited AS (
    SELECT
        c.account, c.resource_type, c.resource_id, c.version, c.event_id,
        f.field_path,
        CASE WHEN NOT f.old_present THEN 'added' WHEN NOT f.new_present THEN 'removed' ELSE 'modified' END AS change,
        f.old_value, f.new_value
    FROM store.version_changes AS c
    JOIN store.audit_field_changes AS f
      ON f.account = c.account AND f.event_id = c.event_id AND f.position = c.position
),
lifecycle AS (
    SELECT account, resource_type, resource_id, version, event_id, valid_from AS changed_at, 'created' AS change
    FROM store.resource_versions AS v
    WHERE event_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM store.audit_records AS a
                  WHERE a.account = v.account AND a.event_id = v.event_id AND a.event IN ('create', 'restore'))
    UNION ALL
    SELECT account, resource_type, resource_id, version, closed_event_id, valid_to, 'deleted'
    FROM store.resource_versions
    WHERE closed_event_id IS NOT NULL
),
explained AS (
    SELECT a.account, a.resource_type, a.resource_id, a.version, v.valid_from AS changed_at,
           a.field_path, a.change, a.old_value, a.new_value, a.event_id
    FROM audited AS a
    JOIN store.resource_versions AS v USING (account, resource_type, resource_id, version)
    UNION ALL
    SELECT account, resource_type, resource_id, version, changed_at, NULL, change, NULL, NULL, event_id
    FROM lifecycle
)
SELECT
    e.account, e.resource_type, e.resource_id, v.name AS resource_name, e.version, e.changed_at,
    e.field_path, e.change, e.old_value, e.new_value,
    CASE WHEN r.source = 'system' THEN 'system' ELSE 'explained' END AS label,
    [e.event_id] AS event_ids,
    r.user_email, r.source,
    NULL::TIMESTAMPTZ AS changed_after, NULL::TIMESTAMPTZ AS changed_before
FROM explained AS e
JOIN store.resource_versions AS v USING (account, resource_type, resource_id, version)
LEFT JOIN store.audit_records AS r ON r.account = e.account AND r.event_id = e.event_id
UNION ALL
SELECT
    u.account, u.resource_type, u.resource_id, v.name, u.version,
    CASE WHEN u.change = 'deleted' THEN v.valid_to ELSE v.valid_from END,
    u.field_path, u.change, u.old_value, u.new_value,
    'unexplained', []::VARCHAR[], NULL, NULL, u.changed_after, u.changed_before
FROM store.unexplained_changes AS u
JOIN store.resource_versions AS v USING (account, resource_type, resource_id, version);
