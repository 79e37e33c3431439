-- Every version of every flow without its document, oldest first: what decides whether a flow page changed.
SELECT flow_id, version, valid_from, valid_to, origin, content_hash
FROM flow_versions
WHERE account = $account
ORDER BY flow_id, version
