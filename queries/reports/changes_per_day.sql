-- Configuration changes (create, update, delete...) per UTC day from $from's day to $to, every day listed.
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM range(CAST($from AS DATE), CAST($to AS DATE) + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(d)
), counted AS (
    SELECT CAST(time AS DATE) AS day, count(*) AS changes
    FROM audit_events
    WHERE account = $account
      AND event IN ('create', 'update', 'delete', 'restore', 'purge')
      AND CAST(time AS DATE) >= CAST($from AS DATE) AND time <= $to
    GROUP BY ALL
)
SELECT days.day, coalesce(counted.changes, 0) AS changes
FROM days LEFT JOIN counted USING (day)
ORDER BY days.day
