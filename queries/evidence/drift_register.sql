-- drift_register: the drift register items of account $account that concern the period
-- [$from, $to): those whose unexplained difference took effect in it, and those found
-- before its end that were still open at its end (neither accepted nor reverted by then).
-- status is where the item stands now; age_days its age now (see the drift_register view).
WITH in_period AS (
    SELECT DISTINCT d.item
    FROM drift_register AS d
    JOIN unexplained_changes AS u
      ON u.account = d.account AND u.resource_type = d.resource_type AND u.resource_id = d.resource_id
     AND u.field_path IS NOT DISTINCT FROM d.field_path AND u.change = d.change
     AND u.changed_before = d.changed_before
    JOIN version_changes AS c
      ON c.account = u.account AND c.resource_type = u.resource_type AND c.resource_id = u.resource_id
     AND c.version = u.version AND c.label = 'unexplained'
     AND c.field_path IS NOT DISTINCT FROM u.field_path AND c.change = u.change
    WHERE d.account = $account
      AND c.changed_at >= CAST($from AS TIMESTAMPTZ) AND c.changed_at < CAST($to AS TIMESTAMPTZ)
)
SELECT
    d.item,
    d.status,
    d.resource_type,
    d.resource_id,
    d.resource_name,
    d.field_path,
    d.change,
    CAST(d.old_value AS VARCHAR) AS old_value,
    CAST(d.new_value AS VARCHAR) AS new_value,
    store.utc_text(d.changed_after) AS changed_after,
    store.utc_text(d.changed_before) AS changed_before,
    d.item IN (SELECT item FROM in_period) AS in_period,
    d.status <> 'withdrawn'
        AND (d.accepted_at IS NULL OR d.accepted_at >= CAST($to AS TIMESTAMPTZ))
        AND (d.reverted_at IS NULL OR d.reverted_at >= CAST($to AS TIMESTAMPTZ)) AS open_at_period_end,
    d.age_days,
    store.utc_text(d.reverted_at) AS reverted_at,
    d.reverted_event_id,
    d.reverted_by,
    store.utc_text(d.accepted_at) AS accepted_at,
    d.accepted_by,
    d.note
FROM drift_register AS d
WHERE d.account = $account
  AND (d.item IN (SELECT item FROM in_period)
       OR (d.changed_before <= CAST($to AS TIMESTAMPTZ) AND d.status <> 'withdrawn'
           AND (d.accepted_at IS NULL OR d.accepted_at >= CAST($to AS TIMESTAMPTZ))
           AND (d.reverted_at IS NULL OR d.reverted_at >= CAST($to AS TIMESTAMPTZ))))
ORDER BY d.item;
