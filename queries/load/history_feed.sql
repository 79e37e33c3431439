-- What rebuilding the history of the resources in `touched` reads, one stream in resource
-- order: each resource's observation stretches (kind 0, oldest first), then its audit
-- records with one row per field change (kind 1, oldest first; a record without any gives
-- one row with a NULL position). Times are integer microseconds: Python compares them
-- without building datetimes.
-- With $with_stored, each resource's stored history follows (kind 2, one row): a
-- fingerprint of every stored version, in version order, in `text`. The loader writes only
-- what differs from it (flowaudit.load.history_rows.stored_prefix); `verify` and a
-- migration's whole rebuild read no kind 2 row.
-- A resource in `resume_points` (load/history_resume.sql) is derived from its resume point
-- on: its stretches and records from then, the stored versions from the one then current,
-- and that version itself (kind 3, one row: valid_from in t1, the resume time in t2, its
-- run, document, event, origin in `event`, stored back patch in `deleted_name`, number in
-- `position`, audited changes as `event_id:position,...` in `field_path`).
WITH stored_versions AS (  -- the stored versions kinds 2 and 3 read, found by key columns
    -- first (so that only their documents are read and decompressed, not every version's)
    SELECT * FROM store.resource_versions
    WHERE rowid IN (
        SELECT v.rowid
        FROM store.resource_versions AS v
        SEMI JOIN touched USING (resource_type, resource_id)
        LEFT JOIN resume_points AS r USING (resource_type, resource_id)
        WHERE v.account = $account AND $with_stored AND v.version >= coalesce(r.version, 0)
    )
),
stored_changes AS (  -- the audited changes of the stored versions kinds 2 and 3 read
    SELECT c.resource_type, c.resource_id, c.version,
           string_agg(c.event_id || ':' || c.position, ',' ORDER BY c.event_id, c.position) AS changes
    FROM store.version_changes AS c
    SEMI JOIN touched USING (resource_type, resource_id)
    LEFT JOIN resume_points AS r USING (resource_type, resource_id)
    WHERE c.account = $account AND $with_stored AND c.version >= coalesce(r.version, 0)
    GROUP BY ALL
)
SELECT
    kind, resource_type, resource_id, t1, t2, t3, run1, run2, run3, text,
    event_id, event, deleted_name, position, field_path,
    old_present, old_value, new_present, new_value
FROM (
SELECT
    0 AS kind, o.resource_type, o.resource_id,
    epoch_us(o.first_seen_at) AS t1, epoch_us(o.last_seen_at) AS t2, epoch_us(o.absent_at) AS t3,
    o.first_run_id AS run1, o.last_run_id AS run2, o.absent_run_id AS run3,
    CAST(o.doc AS VARCHAR) AS text,
    NULL AS event_id, NULL AS event, NULL AS deleted_name, NULL AS position, NULL AS field_path,
    NULL AS old_present, NULL AS old_value, NULL AS new_present, NULL AS new_value
FROM store.observations AS o
SEMI JOIN touched AS t USING (resource_type, resource_id)
LEFT JOIN resume_points AS r USING (resource_type, resource_id)
WHERE o.account = $account AND (r.resume_at IS NULL OR o.first_seen_at >= r.resume_at)
UNION ALL
SELECT
    1, a.resource_type, a.resource_id,
    epoch_us(a.time), NULL, NULL,
    a.first_run_id, NULL, NULL,
    NULL,
    a.event_id, a.event, a.deleted_name, f.position, f.field_path,
    f.old_present, CAST(f.old_value AS VARCHAR), f.new_present, CAST(f.new_value AS VARCHAR)
FROM store.audit_records AS a
SEMI JOIN touched AS t USING (resource_type, resource_id)
LEFT JOIN store.audit_field_changes AS f
  ON f.account = $account AND f.event_id = a.event_id
LEFT JOIN resume_points AS r USING (resource_type, resource_id)
WHERE a.account = $account AND (r.resume_at IS NULL OR a.time >= r.resume_at)
UNION ALL
SELECT
    2, v.resource_type, v.resource_id, NULL, NULL, NULL, NULL, NULL, NULL,
    string_agg(
        concat_ws(chr(31), v.version, coalesce(CAST(epoch_us(v.valid_from) AS VARCHAR), ''),
            coalesce(CAST(epoch_us(v.valid_to) AS VARCHAR), ''), coalesce(v.origin, ''),
            coalesce(v.closed_by, ''), coalesce(v.event_id, ''), coalesce(v.closed_event_id, ''),
            coalesce(CAST(epoch_us(v.changed_after) AS VARCHAR), ''),
            coalesce(CAST(epoch_us(v.changed_before) AS VARCHAR), ''), coalesce(v.name, ''),
            v.content_hash, coalesce(CAST(v.run_id AS VARCHAR), ''), md5(CAST(v.doc AS VARCHAR)),
            coalesce(v.integration_id, ''), coalesce(c.changes, ''), coalesce(u.differences, 0)),
        chr(30) ORDER BY v.version
    ),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM stored_versions AS v
LEFT JOIN stored_changes AS c USING (resource_type, resource_id, version)
LEFT JOIN (
    SELECT resource_type, resource_id, version, count(*) AS differences
    FROM store.unexplained_changes
    SEMI JOIN touched USING (resource_type, resource_id)
    WHERE account = $account AND $with_stored
    GROUP BY ALL
) AS u USING (resource_type, resource_id, version)
GROUP BY v.resource_type, v.resource_id
UNION ALL
SELECT
    3, v.resource_type, v.resource_id, epoch_us(v.valid_from), epoch_us(r.resume_at), NULL,
    v.run_id, NULL, NULL, CAST(v.doc AS VARCHAR),
    v.event_id, v.origin, CAST(v.back_patch AS VARCHAR), v.version,
    c.changes, NULL, NULL, NULL, NULL
FROM stored_versions AS v
JOIN resume_points AS r USING (resource_type, resource_id, version)
LEFT JOIN stored_changes AS c USING (resource_type, resource_id, version)
)
ORDER BY resource_type, resource_id, kind, t1, event_id, position;
