-- Consecutive versions of a resource with the same content: a version must change something.
SELECT account, resource_type, resource_id, version, valid_from, content_hash
FROM (
    SELECT *, lag(content_hash) OVER (
        PARTITION BY account, resource_type, resource_id ORDER BY version
    ) AS previous_hash,
    lag(valid_to) OVER (
        PARTITION BY account, resource_type, resource_id ORDER BY version
    ) AS previous_valid_to
    FROM store.resource_versions
)
WHERE content_hash = previous_hash AND previous_valid_to = valid_from;
