-- Field changes stored more than once for the same record and position.
SELECT account, event_id, position, count(*) AS copies
FROM store.audit_field_changes
GROUP BY ALL
HAVING count(*) > 1;
