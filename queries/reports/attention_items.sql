-- What needs attention among the changes of [$from, $to) (the public macro needs_attention).
SELECT kind, priority, resource_type, resource_id, resource_name, field_path,
       CAST(old_value AS VARCHAR) AS old_value, CAST(new_value AS VARCHAR) AS new_value,
       changed_at, person, source, event_id, changed_after, changed_before, detail
FROM needs_attention($from, $to)
WHERE account = $account
