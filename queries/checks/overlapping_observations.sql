-- Observation stretches of one resource that overlap (each run saw one content at most).
SELECT a.account, a.resource_type, a.resource_id, a.first_seen_at, b.first_seen_at AS other_first_seen_at
FROM store.observations AS a
JOIN store.observations AS b
  ON a.account = b.account AND a.resource_type = b.resource_type AND a.resource_id = b.resource_id
 AND a.first_seen_at < b.first_seen_at
 AND a.last_seen_at >= b.first_seen_at;
