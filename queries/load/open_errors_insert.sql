-- The open errors of the flows this run read, stored only where they differ from the
-- flow's latest stored summary (its listing counts or its steps' counts): one row per step
-- with open errors, or one row with step_id NULL when none is open.
INSERT INTO store.open_errors
WITH read AS (
    SELECT
        l.flow_id, l.num_open_error, l.last_error_at,
        e.step_id, e.num_error
    FROM staged_flow_errors AS l
    LEFT JOIN staged_flow_error_steps AS e USING (flow_id)
),
summaries AS (
    SELECT flow_id, any_value(num_open_error) AS num_open_error, any_value(last_error_at) AS last_error_at,
           list(struct_pack(step_id, num_error) ORDER BY step_id) FILTER (WHERE step_id IS NOT NULL) AS steps
    FROM read
    GROUP BY flow_id
),
latest_rows AS (
    SELECT *
    FROM store.open_errors
    WHERE account = $account AND flow_id IN (SELECT flow_id FROM summaries)
    QUALIFY observed_at = max(observed_at) OVER (PARTITION BY flow_id)
),
latest AS (
    SELECT flow_id, any_value(num_open_error) AS num_open_error, any_value(last_error_at) AS last_error_at,
           list(struct_pack(step_id, num_error) ORDER BY step_id) FILTER (WHERE step_id IS NOT NULL) AS steps
    FROM latest_rows
    GROUP BY flow_id
),
changed AS (
    SELECT s.flow_id
    FROM summaries AS s
    LEFT JOIN latest AS l USING (flow_id)
    WHERE l.flow_id IS NULL
       OR s.num_open_error IS DISTINCT FROM l.num_open_error
       OR s.last_error_at IS DISTINCT FROM l.last_error_at
       OR coalesce(s.steps, []) <> coalesce(l.steps, [])
)
SELECT $account, r.flow_id, $run_id, $observed_at, r.num_open_error, r.last_error_at,
       r.step_id, coalesce(r.num_error, 0)
FROM read AS r
SEMI JOIN changed USING (flow_id)
ORDER BY r.flow_id, r.step_id;
