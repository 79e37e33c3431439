-- Every version of every export flowaudit knows, current and past, deleted ones included:
-- a new version starts whenever the export's content changes (volatile fields such as
-- lastModified excluded). Versions before flowaudit first saw a export are rebuilt from the
-- audit log (origin 'reconstructed').
-- @column account: The account label the run was given (--account; default 'default').
-- @column export_id: The export's integrator.io id.
-- @column version: The version's number, 1 for the oldest known, in order of valid_from.
-- @column name: The export's name in this version.
-- @column valid_from: When this version began (UTC): the time of the audit record that made
--    the change, else when flowaudit first saw it.
-- @column valid_to: When this version ended (UTC); NULL for the current version.
-- @column is_current: Whether this is the export's current version (valid_to is NULL).
-- @column deleted: Whether the version ended because the export was deleted.
-- @column origin: 'observed' (read from the API) or 'reconstructed' (rebuilt by replaying
--    audit fieldChanges backwards from the first observed document).
-- @column content_hash: sha256 of the version's canonical JSON without volatile fields.
-- @column audit_event_id: For a reconstructed version, the audit record whose undoing
--    produced it; NULL for observed versions.
-- @column run_id: The flowaudit run that recorded the version.
-- @column doc: The export document of this version (JSON); a reconstructed document has no
--    volatile fields.
CREATE OR REPLACE VIEW export_versions AS
SELECT * EXCLUDE (resource_type) RENAME (resource_id AS export_id)
FROM store.versions_public
WHERE resource_type = 'export';
