-- What the backwards replay reads, one stream in candidate order: each candidate's own row
-- (is_candidate: its first observed document and times), then its audit history up to that
-- observation, oldest first, one row per field change (a record without any gives one row
-- with a NULL change). Times are integer microseconds: Python compares them without
-- building datetimes. Ordering columns are not selected: fewer values cross to Python.
SELECT
    is_candidate, resource_type, resource_id, time_us, valid_from_us, created_us, doc,
    event_id, event, field_path, old_present, old_value
FROM (
SELECT
    candidate_no, true AS is_candidate, resource_type, resource_id,
    epoch_us(first_seen_at) AS time_us, epoch_us(valid_from) AS valid_from_us,
    epoch_us(created_at) AS created_us, CAST(doc AS VARCHAR) AS doc,
    NULL AS event_id, NULL AS event, NULL AS position, NULL AS field_path,
    NULL AS old_present, NULL AS old_value
FROM replay_candidates
UNION ALL
SELECT
    c.candidate_no, false, NULL, NULL,
    epoch_us(a.time), NULL, NULL, NULL,
    a.event_id, a.event, f.position, f.field_path,
    f.old_present, CAST(f.old_value AS VARCHAR)
FROM replay_candidates AS c
JOIN store.audit_records AS a
  ON a.account = $account
 AND a.resource_type = c.resource_type
 AND a.resource_id = c.resource_id
 AND a.time <= c.first_seen_at
LEFT JOIN store.audit_field_changes AS f
  ON f.account = $account AND f.event_id = a.event_id
)
ORDER BY candidate_no, is_candidate DESC, time_us, event_id, position;
