-- The newest $limit digests sent or tried (view notifications), newest first: the overview's list.
SELECT run_id, sent_at, channel, target, subject, status, attempts, error
FROM notifications
WHERE account = $account
ORDER BY sent_at DESC, run_id DESC, channel
LIMIT $limit
