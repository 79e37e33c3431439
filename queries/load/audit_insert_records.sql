-- Store the audit records of a staging file that are not stored yet (one row per `_id`).
-- `source` and `event` are lower-cased (an older API variant sends "UI"); the whole record
-- stays in `raw`, so fields flowaudit does not know are kept too.
INSERT INTO store.audit_records
SELECT
    $account,
    event_id,
    time,
    lower(json ->> '$.resourceType'),
    json ->> '$._resourceId',
    lower(json ->> '$.source'),
    lower(json ->> '$.event'),
    json ->> '$.byUser._id',
    json ->> '$.byUser.name',
    json ->> '$.byUser.email',
    json ->> '$.deletedInfo.name',
    json,
    $run_id
FROM (
    SELECT json, json ->> '$._id' AS event_id, store.utc_time(json ->> '$.time') AS time
    FROM read_ndjson_objects($path)
    -- Overlapping windows deliver some records twice: keep one.
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY time) = 1
) AS staged
WHERE NOT EXISTS (
    SELECT 1 FROM store.audit_records AS stored
    WHERE stored.account = $account AND stored.event_id = staged.event_id
)
ORDER BY time, event_id;
