-- Audit records in a staging file that cannot be stored: no `_id`, or no readable `time`.
SELECT
    count(*) FILTER (WHERE json_type(json) IS DISTINCT FROM 'OBJECT') AS not_objects,
    count(*) FILTER (WHERE json_type(json) = 'OBJECT' AND coalesce(json ->> '$._id', '') = '') AS without_id,
    count(*) FILTER (
        WHERE json_type(json) = 'OBJECT' AND store.utc_time(json ->> '$.time') IS NULL
    ) AS without_time,
    count(*) AS records
FROM read_ndjson_objects($path);
