-- The jobs of a staging file, with the fields flowaudit reads as columns; the whole job
-- stays in `raw`. The fetch writes each job once (load/jobs.py removes duplicates if not).
-- Times are cast directly (the API writes them with a Z; the loader's connection is pinned
-- to UTC, so a time without an offset is UTC too): a night holds ~100k jobs.
CREATE OR REPLACE TEMP TABLE staged_jobs AS
SELECT
    f[1] AS job_id,
    f[2] AS flow_id,
    f[3] AS integration_id,
    f[4] AS type,
    lower(f[5]) AS status,
    TRY_CAST(f[6] AS TIMESTAMPTZ) AS created_at,
    TRY_CAST(f[7] AS TIMESTAMPTZ) AS started_at,
    TRY_CAST(f[8] AS TIMESTAMPTZ) AS ended_at,
    TRY_CAST(f[9] AS TIMESTAMPTZ) AS last_modified,
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
