-- Watermarks not written by a succeeded run of their account.
SELECT w.account, w.run_id
FROM store.watermarks AS w
WHERE NOT EXISTS (
    SELECT 1 FROM store.runs AS r
    WHERE r.run_id = w.run_id AND r.account = w.account AND r.status = 'succeeded'
);
