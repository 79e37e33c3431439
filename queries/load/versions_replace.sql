-- Replace the history of the resources in `touched` with the rebuilt one (registered by the
-- loader: rebuilt_versions, their audited changes rebuilt_changes, their unexplained
-- differences rebuilt_unexplained). rebuilt_kept: per resource, how many of its first
-- versions are stored exactly as rebuilt; they stay, the rebuilt rows hold the ones after.
CREATE OR REPLACE TEMP TABLE replaced_from AS
SELECT t.resource_type, t.resource_id, coalesce(k.kept, 0) AS kept
FROM (SELECT DISTINCT resource_type, resource_id FROM touched) AS t
LEFT JOIN rebuilt_kept AS k USING (resource_type, resource_id);

DELETE FROM store.resource_versions AS v
WHERE v.account = $account
  AND EXISTS (SELECT 1 FROM replaced_from AS r
              WHERE r.resource_type = v.resource_type AND r.resource_id = v.resource_id AND v.version > r.kept);

DELETE FROM store.version_changes AS v
WHERE v.account = $account
  AND EXISTS (SELECT 1 FROM replaced_from AS r
              WHERE r.resource_type = v.resource_type AND r.resource_id = v.resource_id AND v.version > r.kept);

DELETE FROM store.unexplained_changes AS v
WHERE v.account = $account
  AND EXISTS (SELECT 1 FROM replaced_from AS r
              WHERE r.resource_type = v.resource_type AND r.resource_id = v.resource_id AND v.version > r.kept);

DROP TABLE replaced_from;

-- Each version with its row digest as history seals take it (migration 0013).
INSERT INTO store.resource_versions
SELECT *, store.version_digest(
    version, valid_from, valid_to, origin, closed_by, event_id, closed_event_id,
    changed_after, changed_before, name, content_hash, run_id, doc
)
FROM (
    SELECT
        $account AS account, resource_type, resource_id, version,
        make_timestamp(valid_from_us) AT TIME ZONE 'UTC' AS valid_from,
        make_timestamp(valid_to_us) AT TIME ZONE 'UTC' AS valid_to,
        origin, closed_by, event_id, closed_event_id,
        make_timestamp(changed_after_us) AT TIME ZONE 'UTC' AS changed_after,
        make_timestamp(changed_before_us) AT TIME ZONE 'UTC' AS changed_before,
        name, content_hash, run_id, CAST(doc AS JSON) AS doc, integration_id,
        CAST(back_patch AS JSON) AS back_patch
    FROM rebuilt_versions
);

INSERT INTO store.version_changes
SELECT $account, resource_type, resource_id, version, event_id, position
FROM rebuilt_changes;

INSERT INTO store.unexplained_changes
SELECT
    $account, resource_type, resource_id, version,
    make_timestamp(changed_after_us) AT TIME ZONE 'UTC', make_timestamp(changed_before_us) AT TIME ZONE 'UTC',
    position, field_path, change, old_present, CAST(old_value AS JSON), new_present,
    CAST(new_value AS JSON), run_id
FROM rebuilt_unexplained;
