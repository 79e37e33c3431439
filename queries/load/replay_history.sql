-- The audit history of every replay candidate up to its first observation, one row per
-- field change (or one row with NULL change for a record without any), oldest first.
-- Times are integer microseconds: Python compares them without building datetimes.
SELECT
    a.resource_type, a.resource_id, a.event_id, epoch_us(a.time) AS time_us, a.event,
    f.field_path, f.old_present, f.old_value
FROM replay_candidates AS c
JOIN store.audit_records AS a
  ON a.account = $account
 AND a.resource_type = c.resource_type
 AND a.resource_id = c.resource_id
 AND a.time <= c.first_seen_at
LEFT JOIN store.audit_field_changes AS f
  ON f.account = $account AND f.event_id = a.event_id
ORDER BY a.resource_type, a.resource_id, a.time, a.event_id, f.position;
