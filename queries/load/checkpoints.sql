-- The account's observations in time order: every loaded run and the run being loaded
-- ($run_id, observing at $observed_at with its listing begun at $observed_from, listings
-- $listings): when its listing began and ended, and which listings it read to their last
-- page (a resource missing from those did not exist then).
SELECT observed_us, zone_start_us, run_id, listings
FROM (
    SELECT
        epoch_us(observed_at) AS observed_us,
        epoch_us(coalesce(least(observed_from, observed_at), observed_at)) AS zone_start_us,
        run_id,
        listings
    FROM store.runs
    WHERE account = $account AND status = 'succeeded' AND observed_at IS NOT NULL
      AND run_id <> $run_id
    UNION ALL
    SELECT
        epoch_us(CAST($observed_at AS TIMESTAMPTZ)),
        epoch_us(least(CAST($observed_from AS TIMESTAMPTZ), CAST($observed_at AS TIMESTAMPTZ))), $run_id,
        CAST($listings AS JSON)
    WHERE $run_id > 0
)
ORDER BY observed_us, run_id;
