-- The digest of the derived history of every resource of $account in the temp table
-- `seal_keys` (resource_type, resource_id): how many versions it has, and the SHA-256 over
-- its versions (document included), the audit fieldChanges that made them and its
-- unexplained differences, in version order. A resource with no history gets the digest of
-- nothing. `flowaudit verify` runs the same text over the history it derives again (the
-- three store tables replaced by their rebuilt twins: flowaudit/audit_trail/verify.py).
-- Never change a row's fields: stored seals were taken with them.
WITH versions AS (
    SELECT resource_type, resource_id, 1 AS part, version, NULL::VARCHAR AS k2, NULL::BIGINT AS k3,
        store.version_digest(
            version, valid_from, valid_to, origin, closed_by, event_id, closed_event_id,
            changed_after, changed_before, name, content_hash, run_id, doc
        ) AS h
    FROM store.resource_versions
    SEMI JOIN seal_keys USING (resource_type, resource_id)
    WHERE account = $account
),
changes AS (
    SELECT resource_type, resource_id, 2, version, event_id, position, sha256(
        store.sealed(version) || store.sealed(event_id) || store.sealed(position)
    )
    FROM store.version_changes
    SEMI JOIN seal_keys USING (resource_type, resource_id)
    WHERE account = $account
),
unexplained AS (
    SELECT resource_type, resource_id, 3, version, NULL, position, sha256(
        store.sealed(version) || store.sealed(epoch_us(changed_after)) || store.sealed(epoch_us(changed_before))
        || store.sealed(position) || store.sealed(field_path) || store.sealed(change)
        || store.sealed(old_present) || store.sealed(CAST(old_value AS VARCHAR))
        || store.sealed(new_present) || store.sealed(CAST(new_value AS VARCHAR)) || store.sealed(run_id)
    )
    FROM store.unexplained_changes
    SEMI JOIN seal_keys USING (resource_type, resource_id)
    WHERE account = $account
),
history AS (
    SELECT * FROM versions UNION ALL SELECT * FROM changes UNION ALL SELECT * FROM unexplained
)
SELECT
    k.resource_type,
    k.resource_id,
    CAST(count(h.h) FILTER (WHERE h.part = 1) AS INTEGER) AS versions,
    sha256(coalesce(string_agg(h.h, '' ORDER BY h.version, h.part, h.k2, h.k3, h.h), '')) AS sha256
FROM seal_keys AS k
LEFT JOIN history AS h USING (resource_type, resource_id)
GROUP BY k.resource_type, k.resource_id
