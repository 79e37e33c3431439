-- The audit records of [$from, $to) that need attention (the needs_attention macro, the
-- overview's rule): the recent changes page's "needs attention" filter.
SELECT DISTINCT event_id
FROM needs_attention($from, $to)
WHERE account = $account AND event_id IS NOT NULL
