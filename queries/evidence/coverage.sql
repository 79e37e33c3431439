-- coverage: whether flowaudit holds every audit record of account $account for the period
-- [$from, $to): complete is true only when complete windows of the whole account's /audit,
-- read by succeeded runs, cover the whole period (audit_coverage); gaps are the stretches
-- no such window covers; runs are the runs whose windows cover part of it, with when they
-- read the account, what they read and how many requests it took; api_urls what they read
-- from.
WITH coverage AS (
    SELECT *
    FROM audit_coverage(CAST($from AS TIMESTAMPTZ), CAST($to AS TIMESTAMPTZ))
    WHERE account = $account
),
covering AS (
    SELECT *
    FROM runs
    WHERE account = $account AND list_contains(coalesce((SELECT run_ids FROM coverage), []), run_id)
)
SELECT
    $account AS account,
    store.utc_text(CAST($from AS TIMESTAMPTZ)) AS period_from,
    store.utc_text(CAST($to AS TIMESTAMPTZ)) AS period_to,
    coalesce((SELECT complete FROM coverage), false) AS complete,
    coalesce(
        (SELECT list_transform(gaps, lambda g: {'gap_from': store.utc_text(g.gap_from), 'gap_to': store.utc_text(g.gap_to)})
         FROM coverage),
        [{'gap_from': store.utc_text(CAST($from AS TIMESTAMPTZ)), 'gap_to': store.utc_text(CAST($to AS TIMESTAMPTZ))}]
    ) AS gaps,
    coalesce((
        SELECT list({
            'run_id': run_id, 'mode': mode, 'started_at': store.utc_text(started_at),
            'finished_at': store.utc_text(finished_at), 'observed_at': store.utc_text(observed_at),
            'audit_from': store.utc_text(audit_from), 'audit_to': store.utc_text(audit_to),
            'audit_records': audit_records, 'requests': requests, 'retries': retries,
            'api_url': api_url
        } ORDER BY run_id)
        FROM covering
    ), []) AS runs,
    coalesce((SELECT list_sort(list(DISTINCT api_url)) FROM covering WHERE api_url IS NOT NULL), []) AS api_urls,
    (SELECT store.utc_text(max(observed_at)) FROM runs WHERE account = $account AND status = 'succeeded') AS data_as_of;
