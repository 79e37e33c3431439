-- Store the versions the replay rebuilt (written by the loader to the Parquet file $path;
-- `doc` is canonical JSON, so its sha256 is the content hash, as for observed documents).
INSERT INTO store.resource_versions
SELECT
    $account, resource_type, resource_id, make_timestamp(valid_from_us),
    make_timestamp(valid_to_us), sha256(doc), CAST(doc AS JSON),
    'reconstructed', 'changed', $run_id, NULL, NULL, NULL, audit_event_id
FROM read_parquet($path);
