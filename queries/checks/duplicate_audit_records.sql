-- Audit records stored more than once (they are unique by account and _id).
SELECT account, event_id, count(*) AS copies
FROM store.audit_records
GROUP BY ALL
HAVING count(*) > 1;
