-- The history `flowaudit verify` derives again, shaped like the three store tables it is
-- compared with (the same conversions as queries/load/versions_replace.sql): the rebuilt
-- rows registered as rebuilt_versions, rebuilt_changes and rebuilt_unexplained.
SELECT
    $account AS account, resource_type, resource_id, version,
    make_timestamp(valid_from_us) AT TIME ZONE 'UTC' AS valid_from,
    make_timestamp(valid_to_us) AT TIME ZONE 'UTC' AS valid_to,
    origin, closed_by, event_id, closed_event_id,
    make_timestamp(changed_after_us) AT TIME ZONE 'UTC' AS changed_after,
    make_timestamp(changed_before_us) AT TIME ZONE 'UTC' AS changed_before,
    name, content_hash, run_id, CAST(doc AS JSON) AS doc
FROM rebuilt_versions;

SELECT $account AS account, resource_type, resource_id, version, event_id, position
FROM rebuilt_changes;

SELECT
    $account AS account, resource_type, resource_id, version,
    make_timestamp(changed_after_us) AT TIME ZONE 'UTC' AS changed_after,
    make_timestamp(changed_before_us) AT TIME ZONE 'UTC' AS changed_before,
    position, field_path, change, old_present, CAST(old_value AS JSON) AS old_value, new_present,
    CAST(new_value AS JSON) AS new_value, run_id
FROM rebuilt_unexplained;
