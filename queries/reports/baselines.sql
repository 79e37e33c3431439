-- The pinned baselines of the account, newest pin first.
SELECT name, as_of, run_id, pinned_at, note, pinned_by
FROM store.baselines
WHERE account = $account
ORDER BY pinned_at DESC, name
