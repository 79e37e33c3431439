-- The newest seal of every resource of $account: the history as the last load that rebuilt
-- it left it, and which link (and run) sealed it.
SELECT s.resource_type, s.resource_id, arg_max(s.versions, s.link), arg_max(s.sha256, s.link), max(s.link)
FROM store.history_seals AS s
WHERE s.account = $account
GROUP BY s.resource_type, s.resource_id;
