-- Every version of every resource of every type flowaudit versions, current and past,
-- deleted ones included: one history for all types. Every audited change is a version
-- that begins at its audit record (event_id, with its author and source); a change no
-- audit record explains is a version of its own (origin 'unexplained') that begins when a
-- run first saw it and carries the interval it happened in (changed_after,
-- changed_before); resources deleted before flowaudit's first run have versions from
-- their audit records alone (origin 'audit'). Volatile fields (lastModified, ...) make no
-- version. Each moment has at most one version per resource: valid_from <= t < valid_to.
-- @column account: The account label the run was given (--account; default 'default').
-- @column resource_type: What kind of resource: 'integration', 'flow', 'export', 'import',
--    'connection'.
-- @column resource_id: The resource's integrator.io id (_id).
-- @column name: The resource's name in this version.
-- @column version: The version's number, 1 for the oldest known, in order of valid_from.
-- @column valid_from: When this version began (UTC): the time of the audit record that
--    made it; for an unexplained version the observation that first saw it; for the oldest
--    version without a create record its createdAt, else when flowaudit first saw it.
-- @column valid_to: When this version ended (UTC); NULL for the current version.
-- @column is_current: Whether this is the resource's current version (valid_to is NULL).
-- @column deleted: Whether the version ended because the resource was deleted.
-- @column origin: How flowaudit knows it: 'observed' (a run read this content from the
--    API), 'reconstructed' (rebuilt by replaying audit records between or before
--    observations, never read as such), 'audit' (a resource flowaudit never observed:
--    the document holds only what its records tell), 'unexplained' (a run read content
--    that no audit record explains; see unexplained_changes).
-- @column event_id: The audit record that started this version (audit_events.event_id);
--    NULL when none did (unexplained, or the oldest known version without a create record).
-- @column user_id: The id of the user who made the change (the record's byUser._id).
-- @column user_name: That user's name.
-- @column user_email: That user's e-mail address.
-- @column source: Where the change came from, lower case ('ui', 'api', 'system', ...).
-- @column changed_after: For an unexplained version: the last observation before the
--    change (UTC); NULL otherwise.
-- @column changed_before: For an unexplained version: the time by which it had happened
--    (UTC; equal to valid_from, or the audit record that revealed it); NULL otherwise.
-- @column content_hash: sha256 of the version's canonical JSON without volatile fields.
-- @column run_id: The flowaudit run that loaded what the version comes from (its audit
--    record, or the observation that found it).
-- @column doc: The document of this version (JSON): as read from the API for an observed
--    or unexplained version, else as rebuilt (without volatile fields; for origin 'audit'
--    only the fields the records name).
CREATE OR REPLACE VIEW resource_versions AS
SELECT
    v.account,
    v.resource_type,
    v.resource_id,
    v.name,
    v.version,
    v.valid_from,
    v.valid_to,
    v.valid_to IS NULL AS is_current,
    coalesce(v.closed_by = 'deleted', false) AS deleted,
    v.origin,
    v.event_id,
    a.user_id,
    a.user_name,
    a.user_email,
    a.source,
    v.changed_after,
    v.changed_before,
    v.content_hash,
    v.run_id,
    v.doc
FROM store.resource_versions AS v
LEFT JOIN store.audit_records AS a
  ON a.account = v.account AND a.event_id = v.event_id;
