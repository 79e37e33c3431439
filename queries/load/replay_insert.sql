-- Store the versions the replay rebuilt (written by the loader to the Parquet file $path,
-- with their content hashes: sha256 of the canonical JSON in `doc`).
INSERT INTO store.resource_versions
SELECT
    $account, resource_type, resource_id, make_timestamp(valid_from_us),
    make_timestamp(valid_to_us), content_hash, CAST(doc AS JSON),
    'reconstructed', 'changed', $run_id, NULL, NULL, NULL, audit_event_id,
    NULL  -- version: numbered by derived_refresh.sql
FROM read_parquet($path);
