-- Whether flowaudit holds every audit record of a period [ts_from, ts_to), per account: the
-- period is complete when complete windows of the whole account's /audit, read by
-- succeeded runs, cover it without a hole (per-flow windows and windows whose paging
-- stopped early prove nothing). Runs loaded before flowaudit recorded windows count by
-- their audit_from/audit_to. A run vouches for no moment more than a year before it read
-- the account (integrator.io keeps audit records for at least a year, and may have
-- forgotten older ones before the run asked): a full run's window open towards the past
-- covers only that year. Example: SELECT * FROM audit_coverage(TIMESTAMPTZ
-- '2026-01-01 00:00Z', TIMESTAMPTZ '2026-04-01 00:00Z').
-- @param ts_from: Start of the period (TIMESTAMPTZ), included.
-- @param ts_to: End of the period (TIMESTAMPTZ), excluded.
-- @column account: The account label the run was given (--account; default 'default').
-- @column period_from: The period's start (UTC), included.
-- @column period_to: The period's end (UTC), excluded.
-- @column complete: Whether every moment of the period lies in a complete window.
-- @column gaps: The stretches of the period no complete window covers (list of
--    {gap_from, gap_to}, UTC, half-open), oldest first; empty when complete.
-- @column run_ids: The succeeded runs whose complete windows cover part of the period.
CREATE OR REPLACE MACRO audit_coverage(ts_from, ts_to) AS TABLE
WITH period AS (
    SELECT CAST(ts_from AS TIMESTAMPTZ) AS p_from, CAST(ts_to AS TIMESTAMPTZ) AS p_to
),
accounts AS (
    SELECT DISTINCT account FROM store.runs
),
read_windows AS (
    SELECT w.account, w.run_id, w.window_from, w.window_to, r.observed_at
    FROM store.audit_windows AS w
    JOIN store.runs AS r USING (run_id)
    WHERE r.status = 'succeeded' AND w.scope = '/audit' AND w.complete
    UNION ALL
    SELECT account, run_id, audit_from, audit_to, observed_at
    FROM store.runs
    WHERE status = 'succeeded' AND audit_complete IS NULL AND audit_to IS NOT NULL
),
windows AS (
    -- The vendor's retention (at least a year) bounds what a run's reading can vouch for.
    SELECT account, run_id,
           greatest(coalesce(window_from, '-infinity'::TIMESTAMPTZ),
                    coalesce(observed_at, window_to) - INTERVAL 365 DAY) AS window_from,
           window_to
    FROM read_windows
),
clipped AS (
    SELECT w.account, w.run_id,
           greatest(w.window_from, p.p_from) AS s,
           least(w.window_to, p.p_to) AS e
    FROM windows AS w
    CROSS JOIN period AS p
    WHERE least(w.window_to, p.p_to) > greatest(w.window_from, p.p_from)
),
ordered AS (
    SELECT *, max(e) OVER (
        PARTITION BY account ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS reach
    FROM clipped
),
islands AS (
    SELECT *, sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END) OVER (
        PARTITION BY account ORDER BY s, e ROWS UNBOUNDED PRECEDING
    ) AS island
    FROM ordered
),
merged AS (
    SELECT account, island, min(s) AS s, max(e) AS e FROM islands GROUP BY ALL
),
holes AS (
    SELECT m.account, coalesce(lag(m.e) OVER (PARTITION BY m.account ORDER BY m.s), p.p_from) AS gap_from,
           m.s AS gap_to
    FROM merged AS m
    CROSS JOIN period AS p
    UNION ALL
    SELECT a.account, coalesce(max(m.e), any_value(p.p_from)), any_value(p.p_to)
    FROM accounts AS a
    CROSS JOIN period AS p
    LEFT JOIN merged AS m USING (account)
    GROUP BY a.account
),
gaps AS (
    SELECT account, list({'gap_from': gap_from, 'gap_to': gap_to} ORDER BY gap_from) AS gaps
    FROM holes
    WHERE gap_to > gap_from
    GROUP BY account
),
runs_used AS (
    SELECT account, list_sort(list(DISTINCT run_id)) AS run_ids FROM clipped GROUP BY account
)
SELECT
    a.account,
    p.p_from AS period_from,
    p.p_to AS period_to,
    g.gaps IS NULL AS complete,
    coalesce(g.gaps, []) AS gaps,
    coalesce(u.run_ids, []) AS run_ids
FROM accounts AS a
CROSS JOIN period AS p
LEFT JOIN gaps AS g USING (account)
LEFT JOIN runs_used AS u USING (account);
