-- Every resource whose configuration now differs from a pinned baseline, with how the
-- changes since the pin were reconciled with the audit log (from version_changes). A
-- resource changed and changed back is not listed.
-- Example: SELECT * FROM drift_from_baseline('approved') WHERE unexplained > 0.
-- @param baseline_name: The baseline's name (see baselines).
-- @column account: The account label the run was given (--account; default 'default').
-- @column baseline_as_of: The moment the baseline pins (UTC).
-- @column resource_type: What kind of resource ('flow', 'export', ...).
-- @column resource_id: The resource's id.
-- @column name: Its current name (its last name when it was removed).
-- @column status: 'added' (not in the baseline), 'removed' (gone since) or 'modified'.
-- @column baseline_version: The version in the baseline (NULL when added).
-- @column current_version: The current version (NULL when removed).
-- @column fields: The fields changed since the pin (from version_changes), sorted.
-- @column explained: Changes since the pin that an audit record explains.
-- @column system: Changes since the pin integrator.io itself made.
-- @column unexplained: Changes since the pin that no audit record explains.
-- @column event_ids: The audit records that explain them.
CREATE OR REPLACE MACRO drift_from_baseline(baseline_name) AS TABLE
WITH pin AS (
    SELECT account, as_of FROM store.baselines WHERE name = baseline_name
),
pinned AS (
    SELECT v.account, v.resource_type, v.resource_id, v.version, v.content_hash, v.name
    FROM resource_versions AS v
    JOIN pin AS p ON p.account = v.account
    -- What the pinned run saw: every change made before its observation time.
    WHERE v.valid_from < p.as_of AND (v.valid_to IS NULL OR v.valid_to >= p.as_of)
),
current_ AS (
    SELECT v.account, v.resource_type, v.resource_id, v.version, v.content_hash, v.name
    FROM resource_versions AS v
    SEMI JOIN pin AS p ON p.account = v.account
    WHERE v.is_current
),
compared AS (
    SELECT
        coalesce(c.account, b.account) AS account,
        coalesce(c.resource_type, b.resource_type) AS resource_type,
        coalesce(c.resource_id, b.resource_id) AS resource_id,
        coalesce(c.name, b.name) AS name,
        CASE WHEN b.resource_id IS NULL THEN 'added' WHEN c.resource_id IS NULL THEN 'removed'
             ELSE 'modified' END AS status,
        b.version AS baseline_version,
        c.version AS current_version
    FROM current_ AS c
    FULL JOIN pinned AS b USING (account, resource_type, resource_id)
    WHERE b.content_hash IS DISTINCT FROM c.content_hash
),
since AS (
    SELECT ch.account, ch.resource_type, ch.resource_id,
           list_sort(list(DISTINCT ch.field_path) FILTER (WHERE ch.field_path IS NOT NULL)) AS fields,
           count(*) FILTER (WHERE ch.label = 'explained') AS explained,
           count(*) FILTER (WHERE ch.label = 'system') AS system,
           count(*) FILTER (WHERE ch.label = 'unexplained') AS unexplained,
           list_sort(flatten(list(ch.event_ids))) AS event_ids
    FROM version_changes AS ch
    JOIN pin AS p ON p.account = ch.account
    WHERE ch.changed_at >= p.as_of
    GROUP BY ALL
)
SELECT
    d.account, p.as_of AS baseline_as_of, d.resource_type, d.resource_id, d.name, d.status,
    d.baseline_version, d.current_version,
    coalesce(s.fields, []) AS fields,
    coalesce(s.explained, 0) AS explained,
    coalesce(s.system, 0) AS system,
    coalesce(s.unexplained, 0) AS unexplained,
    coalesce(s.event_ids, []) AS event_ids
FROM compared AS d
JOIN pin AS p USING (account)
LEFT JOIN since AS s USING (account, resource_type, resource_id);
