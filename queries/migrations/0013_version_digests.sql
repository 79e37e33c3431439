-- Sealing a night's load without hashing every kept version again (issue 9's nightly cost):
-- each version's row digest, exactly as the history seals take it, is stored with the
-- version when it is written (queries/load/versions_replace.sql). A run's seal reads the
-- stored digests of the versions of the resources it rebuilt; `flowaudit verify` never
-- reads them: it hashes the stored rows themselves, so a row changed by hand is still caught.

-- The row digest of one version (queries/audit_trail/history_digests.sql). Never change
-- this macro: every stored history seal was taken with it.
CREATE MACRO store.version_digest(
    version, valid_from, valid_to, origin, closed_by, event_id, closed_event_id,
    changed_after, changed_before, name, content_hash, run_id, doc
) AS sha256(
    store.sealed(version) || store.sealed(epoch_us(valid_from)) || store.sealed(epoch_us(valid_to))
    || store.sealed(origin) || store.sealed(closed_by) || store.sealed(event_id)
    || store.sealed(closed_event_id) || store.sealed(epoch_us(changed_after))
    || store.sealed(epoch_us(changed_before)) || store.sealed(name) || store.sealed(content_hash)
    || store.sealed(run_id) || store.sealed(CAST(doc AS VARCHAR))
);

ALTER TABLE store.resource_versions ADD COLUMN sealed_digest VARCHAR;

UPDATE store.resource_versions
SET sealed_digest = store.version_digest(
    version, valid_from, valid_to, origin, closed_by, event_id, closed_event_id,
    changed_after, changed_before, name, content_hash, run_id, doc
);
