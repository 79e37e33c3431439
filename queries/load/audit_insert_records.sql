-- Store the audit records of a staging file that are not stored yet (one row per `_id`).
-- `source` and `event` are lower-cased (an older API variant sends "UI"); the whole record
-- stays in `raw`, so fields flowaudit does not know are kept too. Each line is parsed once
-- (one multi-path extraction). Records the file holds twice are removed afterwards
-- (audit_remove_duplicates.sql: cheaper than ranking wide rows). A line without `_id` or readable `time` violates NOT NULL.
INSERT INTO store.audit_records
SELECT
    $account,
    f[1],
    store.utc_time(f[2]),
    lower(f[3]),
    f[4],
    lower(f[5]),
    lower(f[6]),
    f[7],
    f[8],
    f[9],
    f[10],
    json,
    $run_id,
    -- field_change_count: the entries audit_insert_field_changes.sql stores for the record
    coalesce(len(json_extract(json, '$.fieldChanges[*]')), 0)
FROM (
    SELECT
        json,
        json_extract_string(json, [
            '$._id', '$.time', '$.resourceType', '$._resourceId', '$.source', '$.event',
            '$.byUser._id', '$.byUser.name', '$.byUser.email', '$.deletedInfo.name'
        ]) AS f
    FROM read_ndjson_objects($path)
) AS staged
-- An anti join on the stored ids (not NOT EXISTS: its decorrelation would first hold the
-- whole file in memory).
ANTI JOIN (
    SELECT event_id FROM store.audit_records WHERE account = $account
) AS stored
  ON stored.event_id = staged.f[1];
