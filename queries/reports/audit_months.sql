-- The Audit page's evidence table: per calendar month (UTC) that holds audit records of the
-- account, how many changes, unexplained differences, rule violations and changes a ticket
-- was required for but missing.
WITH events AS (
    SELECT date_trunc('month', timezone('UTC', time)) AS month, count(*) AS events
    FROM audit_events WHERE account = $account GROUP BY ALL
),
unexplained AS (
    SELECT date_trunc('month', timezone('UTC', changed_at)) AS month, count(*) AS unexplained
    FROM version_changes WHERE account = $account AND label = 'unexplained' GROUP BY ALL
),
violations AS (
    SELECT date_trunc('month', timezone('UTC', time)) AS month, count(*) AS violations,
           count(*) FILTER (WHERE rule = 'ticket_missing') AS tickets_missing
    FROM rule_violations WHERE account = $account GROUP BY ALL
)
SELECT
    strftime(month, '%Y-%m') AS month,
    coalesce(e.events, 0) AS events,
    coalesce(u.unexplained, 0) AS unexplained,
    coalesce(v.violations, 0) AS violations,
    coalesce(v.tickets_missing, 0) AS tickets_missing
FROM events AS e
FULL JOIN unexplained AS u USING (month)
FULL JOIN violations AS v USING (month)
ORDER BY month DESC;
