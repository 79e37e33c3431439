-- Each flow's runs per UTC day from $first to $last (days with runs only): the flow pages' charts.
SELECT flow_id, day, runs, runs_with_errors, failed_runs
FROM flow_health_daily
WHERE account = $account AND day >= $first AND day <= $last
ORDER BY flow_id, day
