-- The jobs of a staging file, with the fields flowaudit reads as columns; the whole job
-- stays in `raw`. The fetch writes each job once (load/jobs.py removes duplicates if not).
CREATE OR REPLACE TEMP TABLE staged_jobs AS
SELECT
    f[1] AS job_id,
    f[2] AS flow_id,
    f[3] AS integration_id,
    f[4] AS type,
    lower(f[5]) AS status,
    store.utc_time(f[6]) AS created_at,
    store.utc_time(f[7]) AS started_at,
    store.utc_time(f[8]) AS ended_at,
    store.utc_time(f[9]) AS last_modified,
    TRY_CAST(f[10] AS BIGINT) AS num_success,
    TRY_CAST(f[11] AS BIGINT) AS num_error,
    TRY_CAST(f[12] AS BIGINT) AS num_ignore,
    TRY_CAST(f[13] AS BIGINT) AS num_pages,
    json AS raw
FROM (
    SELECT
        json,
        json_extract_string(json, [
            '$._id', '$._flowId', '$._integrationId', '$.type', '$.status', '$.createdAt',
            '$.startedAt', '$.endedAt', '$.lastModified', '$.numSuccess', '$.numError',
            '$.numIgnore', '$.numPagesProcessed'
        ]) AS f
    FROM read_ndjson_objects($path)
) AS lines;
