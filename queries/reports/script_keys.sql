-- What each script's versions show, hashed (part of the reuse keys of its page and of the
-- pages of the flows using it): every version's dates, origin, record, who and content.
-- Sums of 64-bit hashes, not text.
SELECT
    script_id,
    concat_ws('/', count(*),
              sum(hash(version, name, valid_from, valid_to, deleted, origin, event_id, user_name,
                       user_email, source, content_hash))) AS versions
FROM script_versions
WHERE account = $account
GROUP BY script_id
ORDER BY script_id
