-- Why audit records in a staging file cannot be stored: not objects, no `_id`, no readable
-- `time`. Runs on a separate in-memory connection once the insert has failed.
SELECT
    count(*) FILTER (WHERE json_type(json) IS DISTINCT FROM 'OBJECT') AS not_objects,
    count(*) FILTER (WHERE json_type(json) = 'OBJECT' AND coalesce(json ->> '$._id', '') = '') AS without_id,
    count(*) FILTER (
        WHERE json_type(json) = 'OBJECT' AND TRY_CAST(json ->> '$.time' AS TIMESTAMPTZ) IS NULL
    ) AS without_time,
    count(*) AS records
FROM read_ndjson_objects($path);
