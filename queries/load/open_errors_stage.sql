-- The open-error summaries of a staging file: one row per flow (its listing counts), and
-- one row per step with open errors (steps the API listed with numError 0 are dropped).
CREATE OR REPLACE TEMP TABLE staged_flow_errors AS
SELECT
    json ->> '$._flowId' AS flow_id,
    any_value(TRY_CAST(json ->> '$.numOpenError' AS BIGINT)) AS num_open_error,
    any_value(store.utc_time(json ->> '$.lastErrorAt')) AS last_error_at,
    any_value(json -> '$.flowErrors') AS flow_errors
FROM read_ndjson_objects($path)
WHERE json ->> '$._flowId' IS NOT NULL
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE staged_flow_error_steps AS
SELECT flow_id, step ->> '$._expOrImpId' AS step_id, sum(TRY_CAST(step ->> '$.numError' AS BIGINT)) AS num_error
FROM (SELECT flow_id, unnest(CAST(flow_errors AS JSON[])) AS step FROM staged_flow_errors)
WHERE TRY_CAST(step ->> '$.numError' AS BIGINT) > 0 AND step ->> '$._expOrImpId' IS NOT NULL
GROUP BY ALL;
