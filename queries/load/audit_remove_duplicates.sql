-- Overlapping audit windows deliver some records twice: keep one copy of each record this
-- run stored (ranking only ids and row ids, never the wide raw records).
DELETE FROM store.audit_records
WHERE rowid IN (
    SELECT rowid
    FROM store.audit_records
    WHERE account = $account AND first_run_id = $run_id
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY rowid) > 1
);
