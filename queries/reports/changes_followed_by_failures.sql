-- The changes of [$from, $to) after which a flow failed clearly more often, likeliest first: the overview's list.
SELECT flow_id, flow_name, changed_at, resource_type, resource_id, resource_name, event_id, label,
       user_name, user_email, source, fields, runs_before, error_rate_before, runs_after,
       error_rate_after, rise, rise_at_least
FROM changes_followed_by_failures_between($from, $to)
WHERE account = $account
ORDER BY rise_beyond_earlier DESC, rise DESC, changed_at, flow_id, resource_id
LIMIT $limit
