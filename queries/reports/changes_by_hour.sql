-- Configuration changes in $from < time <= $to by weekday (1 Monday .. 7 Sunday) and hour
-- of day in the time zone $zone (the display_timezone setting): the overview's heatmap.
SELECT CAST(isodow(timezone($zone, time)) AS INTEGER) AS weekday,
       CAST(hour(timezone($zone, time)) AS INTEGER) AS hour,
       count(*) AS changes
FROM audit_events
WHERE account = $account
  AND event IN ('create', 'update', 'delete', 'restore', 'purge')
  AND time > $from AND time <= $to
GROUP BY ALL
ORDER BY weekday, hour
